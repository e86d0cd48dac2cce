import { describe, expect, it } from 'vitest';
import { LengthPrefixedFramer } from '../src/receiver/length-prefixed-framer.js';
import { LineFramer } from '../src/receiver/line-framer.js';
import { frame } from './helpers.js';

/** Pushes `chunks` one by one into a line framer and returns the lines and over-long reports. */
function lines(
  chunks: Buffer[],
  options: { encoding?: BufferEncoding; max?: number; end?: boolean } = {},
) {
  const out: string[] = [];
  const tooLong: Array<[number, boolean]> = [];
  const framer = new LineFramer(
    options.encoding ?? 'utf8',
    options.max ?? 1000,
    (length, complete) => tooLong.push([length, complete]),
  );
  const emit = (line: string): boolean => {
    out.push(line);
    return true;
  };
  for (const chunk of chunks) {
    framer.push(chunk);
    framer.drain(emit);
  }
  if (options.end) framer.finish(emit);
  return { out, tooLong };
}

/** `bytes` cut into pieces at every position in `cuts`. */
function cutAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

describe('LineFramer', () => {
  it('decodes multibyte UTF-8 characters cut at every possible byte', () => {
    const text = 'é€😀 zh:中文\nsecond ñ\n';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(lines(cutAt(bytes, [cut])).out, `cut at byte ${cut}`).toEqual([
        'é€😀 zh:中文',
        'second ñ',
      ]);
    }
    const oneByteAtATime = Array.from(bytes, (byte) => Buffer.from([byte]));
    expect(lines(oneByteAtATime).out).toEqual(['é€😀 zh:中文', 'second ñ']);
  });

  it('decodes other encodings, such as UTF-16LE cut inside a character', () => {
    const bytes = Buffer.from('a€\r\nb😀\n', 'utf16le');
    const pieces = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(lines(pieces, { encoding: 'utf16le' }).out).toEqual(['a€', 'b😀']);
  });

  it('removes \\r before \\n also when they arrive in different chunks, and keeps empty lines', () => {
    expect(
      lines([Buffer.from('one\r'), Buffer.from('\n\r\n'), Buffer.from('\nthree\r\n')]).out,
    ).toEqual(['one', '', '', 'three']);
  });

  it('hands over a last line without newline only when the connection ends cleanly', () => {
    expect(lines([Buffer.from('a\nrest')]).out).toEqual(['a']);
    expect(lines([Buffer.from('a\nrest')], { end: true }).out).toEqual(['a', 'rest']);
  });

  it('discards a line longer than maxLineLength up to the next newline, reporting it once', () => {
    const result = lines([Buffer.from('12345\n123456\nok\n')], { max: 5 });
    expect(result.out).toEqual(['12345', 'ok']);
    expect(result.tooLong).toEqual([[6, true]]);
  });

  it('never buffers more than maxLineLength of a line whose newline has not arrived', () => {
    const chunks = [
      Buffer.from('ok\n' + 'x'.repeat(8)),
      Buffer.from('x'.repeat(1000)),
      Buffer.from('xx\nafter\n'),
    ];
    const result = lines(chunks, { max: 10 });
    expect(result.out).toEqual(['ok', 'after']);
    expect(result.tooLong).toEqual([[1008, false]]);
  });

  it('accepts a line of exactly maxLineLength characters whose \\r\\n arrives later', () => {
    const result = lines([Buffer.from('x'.repeat(5) + '\r'), Buffer.from('\n')], { max: 5 });
    expect(result.out).toEqual(['xxxxx']);
    expect(result.tooLong).toEqual([]);
  });

  it('stops handing over lines when the consumer asks to pause, and resumes where it stopped', () => {
    const framer = new LineFramer('utf8', 100, () => {});
    const out: string[] = [];
    let budget = 2;
    const emit = (line: string): boolean => {
      out.push(line);
      return --budget > 0;
    };
    framer.push(Buffer.from('a\nb\nc\nd\npartial'));
    expect(framer.drain(emit)).toBe(false);
    expect(out).toEqual(['a', 'b']);
    budget = 100;
    framer.push(Buffer.from('-end\n'));
    expect(framer.drain(emit)).toBe(true);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'partial-end']);
  });
});

describe('LengthPrefixedFramer', () => {
  function frames(chunks: Buffer[], max = 100): { out: string[]; tooLarge: number[] } {
    const out: string[] = [];
    const tooLarge: number[] = [];
    const framer = new LengthPrefixedFramer(max, (size) => tooLarge.push(size));
    for (const chunk of chunks) {
      framer.push(chunk);
      framer.drain((payload) => {
        out.push(payload.toString());
        return true;
      });
    }
    return { out, tooLarge };
  }

  it('reads frames cut at every possible byte, including inside the length', () => {
    const bytes = Buffer.concat([frame('first'), frame(''), frame('third record')]);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(frames(cutAt(bytes, [cut])).out, `cut at byte ${cut}`).toEqual([
        'first',
        '',
        'third record',
      ]);
    }
    expect(frames(Array.from(bytes, (b) => Buffer.from([b]))).out).toEqual([
      'first',
      '',
      'third record',
    ]);
  });

  it('skips a frame larger than maxRecordSize without buffering it and stays in step', () => {
    const big = frame('y'.repeat(500));
    const bytes = Buffer.concat([frame('before'), big, frame('after')]);
    const result = frames(cutAt(bytes, [12, 100, 300, 505]), 100);
    expect(result.out).toEqual(['before', 'after']);
    expect(result.tooLarge).toEqual([500]);
  });

  it('gives every payload its own buffer', () => {
    const framer = new LengthPrefixedFramer(100, () => {});
    const chunk = Buffer.concat([frame('abc'), frame('def')]);
    const payloads: Buffer[] = [];
    framer.push(chunk);
    framer.drain((payload) => payloads.push(payload) > 0);
    chunk.fill(0);
    expect(payloads.map(String)).toEqual(['abc', 'def']);
  });
});
