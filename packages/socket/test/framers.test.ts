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
  const undecodable: number[][] = [];
  const framer = new LineFramer(
    options.encoding ?? 'utf8',
    options.max ?? 1000,
    (length, complete) => tooLong.push([length, complete]),
    (bytes) => undecodable.push([...bytes]),
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
  return { out, tooLong, undecodable, incomplete: framer.incompleteBytes() };
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

  it('hands lines with invalid UTF-8 over as undecodable bytes, wherever the packets are cut', () => {
    const bytes = Buffer.concat([
      Buffer.from('ok é\n'),
      Buffer.from([0xe2, 0x82, 0x78, 0x0d, 0x0a]), // € cut short, then "x\r\n"
      Buffer.from('😀 fin\n'),
      Buffer.from([0xff, 0x0a]),
      Buffer.from('\ufffd is a real character\n'),
    ]);
    const expected = ['ok é', '😀 fin', '\ufffd is a real character'];
    const expectedUndecodable = [[0xe2, 0x82, 0x78], [0xff]];
    for (let cut = 1; cut < bytes.length; cut++) {
      const result = lines(cutAt(bytes, [cut]));
      expect(result.out, `cut at byte ${cut}`).toEqual(expected);
      expect(result.undecodable, `cut at byte ${cut}`).toEqual(expectedUndecodable);
    }
    const oneByteAtATime = lines(Array.from(bytes, (byte) => Buffer.from([byte])));
    expect(oneByteAtATime.out).toEqual(expected);
    expect(oneByteAtATime.undecodable).toEqual(expectedUndecodable);
  });

  it('counts the bytes of a line whose newline has not arrived as incomplete', () => {
    expect(lines([Buffer.from('a\nrest')]).incomplete).toBe(4);
    expect(lines([Buffer.from('a\nrest')], { end: true }).incomplete).toBe(0);
    expect(lines([Buffer.from('a\n')]).incomplete).toBe(0);
  });

  it('decodes Latin-1 lines, over-long ones discarded, wherever the packets are cut', () => {
    const bytes = Buffer.from('café\r\n' + 'x'.repeat(12) + '\nña\n', 'latin1');
    for (let cut = 1; cut < bytes.length; cut++) {
      const result = lines(cutAt(bytes, [cut]), { encoding: 'latin1', max: 10 });
      expect(result.out, `cut at byte ${cut}`).toEqual(['café', 'ña']);
      expect(result.tooLong.length, `cut at byte ${cut}`).toBe(1);
    }
  });

  it('resumes after a pause in the middle of lines decoded together, with bad lines among them', () => {
    const framer = new LineFramer(
      'utf8',
      100,
      () => {},
      () => {},
    );
    const out: string[] = [];
    let budget = 2;
    const emit = (line: string): boolean => {
      out.push(line);
      return --budget > 0;
    };
    framer.push(Buffer.from('a\nb\nc\nd'));
    expect(framer.drain(emit)).toBe(false);
    framer.push(Buffer.concat([Buffer.from('\n'), Buffer.from([0xff, 0x0a]), Buffer.from('e\n')]));
    budget = 100;
    expect(framer.drain(emit)).toBe(true);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
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
  it('stops at a length above maxFrameLength, handing over the bytes from the bad header on', () => {
    const rejected: Array<[number, number[]]> = [];
    const out: string[] = [];
    const framer = new LengthPrefixedFramer(
      100,
      () => {},
      1000,
      (length, bytes) => rejected.push([length, [...bytes.subarray(0, 6)]]),
    );
    const bogus = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const after = Array.from({ length: 1000 }, (_, i) => frame(`after ${i}`));
    framer.push(Buffer.concat([frame('before'), bogus, ...after]));
    framer.drain((payload) => out.push(payload.toString()) > 0);
    framer.push(frame('later'));
    framer.drain((payload) => out.push(payload.toString()) > 0);
    expect(out).toEqual(['before']);
    expect(rejected).toEqual([[0xffffffff, [0xff, 0xff, 0xff, 0xff, 0, 0]]]);
    expect(framer.stopped).toBe(true);
    expect(framer.incompleteBytes()).toBe(0);
    framer.reset();
    framer.push(frame('new connection'));
    framer.drain((payload) => out.push(payload.toString()) > 0);
    expect(out).toEqual(['before', 'new connection']);
  });

  it('counts the bytes of a frame cut short as incomplete, also after finish()', () => {
    const framer = new LengthPrefixedFramer(100, () => {});
    framer.push(Buffer.concat([frame('whole'), frame('cut short').subarray(0, 7)]));
    framer.drain(() => true);
    framer.finish();
    expect(framer.incompleteBytes()).toBe(7);
  });

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
