import { appendFileSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetter, type DeadLetterRecord, type Sink } from '@dstream/core';
import { fileStream, textFileStream } from '../src/index.js';
import {
  batchTime,
  collect,
  collectMetadata,
  moveIn,
  runBatches,
  setModificationTime,
  fileStreamTestBed,
} from './helpers.js';

const bed = fileStreamTestBed();
const setup = bed.setup;

const numbered = (from: number, to: number): string => {
  let text = '';
  for (let i = from; i < to; i++) text += `line ${i}\n`;
  return text;
};

describe('fileStream: a file appended to in place', () => {
  it('warns, naming the file, when a taken file grows, and never reads it again', async () => {
    const { ssc, clock, log } = setup();
    const lines = textFileStream(ssc, bed.folders.watched);
    const out = collect(lines);
    const metadata = collectMetadata(ssc, lines);
    ssc.start();
    // Written in place (not moved in): the first 400 lines are there when batch 1 lists it.
    const file = join(bed.folders.watched, 'log.txt');
    await writeFile(file, numbered(0, 400));
    await setModificationTime(file, batchTime(1) - 100);
    await runBatches(ssc, clock, 1);
    await appendFile(file, numbered(400, 6000));
    await setModificationTime(file, batchTime(2) - 100);
    await runBatches(ssc, clock, 3);

    expect(out.map(([, records]) => records.length)).toEqual([400, 0, 0, 0]);
    expect(metadata.map(([, m]) => m.changedAfterTaken)).toEqual([[], [file], [], []]);
    const warnings = log.at('warn').filter((e) => e.message.includes('changed after'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].fields.files).toEqual([file]);
    expect(warnings[0].message).toContain('atomically');
  });

  it('never takes a file that grows while it is read as complete', async () => {
    const { ssc, clock } = setup();
    let appended = false;
    // The decoder appends to the very file it reads, once its first block was read.
    const decoder = (line: Buffer): string => {
      if (!appended) {
        appended = true;
        appendFileSync(join(bed.folders.watched, 'growing.txt'), numbered(100, 200));
      }
      return line.toString('utf8');
    };
    const stream = fileStream(ssc, bed.folders.watched, { format: decoder, readBlockSize: 64 });
    const out = collect(stream);
    ssc.start();
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'growing.txt',
      numbered(0, 100),
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(appended).toBe(true);
    expect(out).toEqual([[batchTime(1), []]]);

    // Complete now: its modification time lies in batch 2's interval; read whole, once.
    await setModificationTime(join(bed.folders.watched, 'growing.txt'), batchTime(2) - 100);
    await runBatches(ssc, clock, 1);
    expect(out[1][1]).toEqual(numbered(0, 200).trimEnd().split('\n'));
  });
});

describe('fileStream: big files are read in blocks', () => {
  it('hands records over from blocks of readBlockSize (1 MiB by default), not from a buffer of the whole file', async () => {
    const { ssc, clock } = setup();
    let largestBuffer = 0;
    let count = 0;
    const decoder = (line: Buffer): number => {
      if (line.buffer.byteLength > largestBuffer) largestBuffer = line.buffer.byteLength;
      count++;
      return line.length;
    };
    collect(fileStream(ssc, bed.folders.watched, { format: decoder }));
    ssc.start();
    // 16 MiB of lines: 16 blocks.
    const lineText = 'x'.repeat(1023) + '\n';
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'big.txt',
      lineText.repeat(16 * 1024),
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(count).toBe(16 * 1024);
    expect(largestBuffer).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('reads records that cross block boundaries exactly as a whole read does', async () => {
    const { ssc, clock } = setup();
    const content = '\uFEFFfirst\r\n\nsäcond line, longer than a block\nlast without newline';
    const small = textFileStream(ssc, bed.folders.watched, { filter: 'a*' });
    const outSmall = collect(small);
    const csv = fileStream(ssc, bed.folders.watched, {
      format: 'csv',
      filter: '*.csv',
      readBlockSize: 3,
    });
    const outCsv = collect(csv);
    const tiny = fileStream(ssc, bed.folders.watched, {
      format: (line) => line.toString('utf8'),
      filter: 'a*',
      readBlockSize: 1,
    });
    const outTiny = collect(tiny);
    ssc.start();
    await moveIn(bed.folders.staging, bed.folders.watched, 'a.txt', content, batchTime(1) - 100);
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'rows.csv',
      '\uFEFFid,text\r\n1,"multi\nline, with ""quotes"""\r\n\n2,plain\n3,"x"',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(outSmall[0][1]).toEqual([
      'first',
      '',
      'säcond line, longer than a block',
      'last without newline',
    ]);
    // The custom decoder gets the byte order mark as it is, as before.
    expect(outTiny[0][1]).toEqual([
      '\uFEFFfirst',
      '',
      'säcond line, longer than a block',
      'last without newline',
    ]);
    expect(outCsv[0][1]).toEqual([
      { id: '1', text: 'multi\nline, with "quotes"' },
      { id: '2', text: 'plain' },
      { id: '3', text: 'x' },
    ]);
  });

  it('keeps the bytes of dead letters intact while later blocks are read', async () => {
    const { ssc, clock } = setup();
    const letters: DeadLetterRecord[] = [];
    const sink: Sink<DeadLetterRecord> = {
      guarantee: 'at-least-once',
      async write(records) {
        await new Promise((resolve) => setImmediate(resolve));
        letters.push(...records);
      },
    };
    const stream = fileStream(ssc, bed.folders.watched, {
      format: 'jsonl',
      onDecodeError: deadLetter(sink),
      readBlockSize: 32,
    });
    const out = collect(stream);
    ssc.start();
    const lines = Array.from({ length: 300 }, (_, i) =>
      i % 7 === 0 ? `not json ${i}` : JSON.stringify({ i }),
    );
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'mixed.jsonl',
      lines.join('\n') + '\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(out[0][1]).toHaveLength(300 - 43);
    expect(letters.map((letter) => letter.payload.toString())).toEqual(
      lines.filter((_, i) => i % 7 === 0),
    );
  });
});
