import { describe, expect, it } from 'vitest';
import { deadLetter, DecodeError, type DeadLetterRecord, type Sink } from '@dstream/core';
import { fileStream } from '../src/index.js';
import {
  batchTime,
  collect,
  collectMetadata,
  moveIn,
  runBatches,
  fileStreamTestBed,
} from './helpers.js';

const bed = fileStreamTestBed();
const setup = bed.setup;

/** A dead-letter sink keeping what it receives. */
function memorySink(): Sink<DeadLetterRecord> & { records: DeadLetterRecord[] } {
  const records: DeadLetterRecord[] = [];
  return {
    guarantee: 'at-least-once',
    records,
    write(batch) {
      records.push(...batch);
    },
  };
}

describe("fileStream format 'csv'", () => {
  it('turns rows into objects keyed by the header, with RFC 4180 quoting', async () => {
    const { ssc, clock } = setup();
    const out = collect(fileStream(ssc, bed.folders.watched, { format: 'csv' }));
    ssc.start();
    const csv =
      '\uFEFFid,name,comment\r\n' +
      '1,plain,simple\r\n' +
      '2,"with, comma","say ""hi"""\r\n' +
      '\r\n' +
      '3,"two\r\nlines",\r\n' +
      '4,5" screen,"é ünïcode"\n' +
      '5,last,no newline';
    await moveIn(bed.folders.staging, bed.folders.watched, 'rows.csv', csv, batchTime(1) - 100);
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([
      [
        batchTime(1),
        [
          { id: '1', name: 'plain', comment: 'simple' },
          { id: '2', name: 'with, comma', comment: 'say "hi"' },
          { id: '3', name: 'two\r\nlines', comment: '' },
          { id: '4', name: '5" screen', comment: 'é ünïcode' },
          { id: '5', name: 'last', comment: 'no newline' },
        ],
      ],
    ]);
  });

  it('reads each file with its own header, and a custom delimiter', async () => {
    const { ssc, clock } = setup();
    const out = collect(
      fileStream(ssc, bed.folders.watched, { format: 'csv', csv: { delimiter: ';' } }),
    );
    ssc.start();
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'a.csv',
      'x;y\n1;2\n',
      batchTime(1) - 100,
    );
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'b.csv',
      'y;z\n3;4\n',
      batchTime(1) - 50,
    );
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([
      [
        batchTime(1),
        [
          { x: '1', y: '2' },
          { y: '3', z: '4' },
        ],
      ],
    ]);
  });

  it('sends rows that cannot be decoded to a dead-letter sink, naming the file and the line each starts on', async () => {
    const { ssc, clock } = setup();
    const sink = memorySink();
    const stream = fileStream(ssc, bed.folders.watched, {
      format: 'csv',
      onDecodeError: deadLetter(sink),
    });
    const out = collect(stream);
    const metadata = collectMetadata(ssc, stream);
    ssc.start();
    const csv = 'a,b\n' + '1,"multi\nline"\n' + '2,too,many\n' + '3,"unterminated\n' + '4,ok\n';
    const file = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'bad.csv',
      csv,
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);

    // The quote left open at the end of the file costs its own line only: row 4 is read.
    expect(out).toEqual([
      [
        batchTime(1),
        [
          { a: '1', b: 'multi\nline' },
          { a: '4', b: 'ok' },
        ],
      ],
    ]);
    expect(metadata[0][1].decodeFailures).toBe(2);
    expect(sink.records.map((r) => [r.source, r.payload.toString(), r.error])).toEqual([
      [`file ${file} line 4`, '2,too,many', 'expected 2 fields (a, b) but found 3'],
      [
        `file ${file} line 5`,
        '3,"unterminated',
        'a quoted field is not closed before the end of the file; the record is rejected up to the end of line 5 and reading goes on at the next line',
      ],
    ]);
  });

  it('fails every row of a file whose header cannot be decoded, rather than dropping them silently', async () => {
    const { ssc, clock } = setup();
    const sink = memorySink();
    const out = collect(
      fileStream(ssc, bed.folders.watched, { format: 'csv', onDecodeError: deadLetter(sink) }),
    );
    ssc.start();
    const file = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'dup.csv',
      'a,a\n1,2\n3,4\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), []]]);
    expect(sink.records.map((r) => [r.source, r.error])).toEqual([
      [`file ${file} line 1`, 'the header names column "a" twice'],
      [`file ${file} line 2`, 'the file has no valid header row'],
      [`file ${file} line 3`, 'the file has no valid header row'],
    ]);
  });

  it("with onDecodeError 'fail', fails the batch with a DecodeError naming file and line", async () => {
    const { ssc, clock } = setup();
    collect(fileStream(ssc, bed.folders.watched, { format: 'csv' }));
    ssc.start();
    const file = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'bad.csv',
      'a,b\n1,2\n"x"y,3\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    const error = await ssc.awaitTermination(10).catch((e: unknown) => e);
    const cause = (error as Error).cause as DecodeError;
    expect(cause).toBeInstanceOf(DecodeError);
    expect(cause.source).toBe(`file ${file} line 3`);
    expect(cause.message).toContain('unexpected text after the closing quote of field 1');
  });
});

describe("fileStream format 'csv': damage stays within one record", () => {
  const rows = (from: number, to: number, quoteEvery = 0): string => {
    let text = '';
    for (let i = from; i <= to; i++) {
      text += quoteEvery > 0 && i % quoteEvery === 0 ? `${i},"name ${i}"\n` : `${i},name ${i}\n`;
    }
    return text;
  };

  it('a stray quote left open to the end of the file costs one row, not the rest', async () => {
    const { ssc, clock } = setup();
    const stream = fileStream(ssc, bed.folders.watched, { format: 'csv', onDecodeError: 'skip' });
    const out = collect(stream);
    const metadata = collectMetadata(ssc, stream);
    ssc.start();
    const csv = 'id,name\n' + rows(1, 100) + '101,"stray\n' + rows(102, 5000);
    await moveIn(bed.folders.staging, bed.folders.watched, 'stray.csv', csv, batchTime(1) - 100);
    await runBatches(ssc, clock, 1);
    expect(out[0][1]).toHaveLength(4999);
    expect(out[0][1][100]).toEqual({ id: '102', name: 'name 102' });
    expect(metadata[0][1].decodeFailures).toBe(1);
  });

  it('a stray quote closed far away by another quote costs one row with maxRecordSize, naming file, line and limit', async () => {
    const { ssc, clock } = setup();
    const sink = memorySink();
    const stream = fileStream(ssc, bed.folders.watched, {
      format: 'csv',
      onDecodeError: deadLetter(sink),
      csv: { maxRecordSize: 1024 },
      readBlockSize: 4096,
    });
    const out = collect(stream);
    ssc.start();
    // Later rows quote their names: the stray quote pairs with the next of those quotes.
    const csv = 'id,name\n' + rows(1, 100) + '101,"stray\n' + rows(102, 5000, 500);
    const file = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'far.csv',
      csv,
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(out[0][1]).toHaveLength(4999);
    expect(out[0][1][498]).toEqual({ id: '500', name: 'name 500' });
    expect(sink.records.map((r) => [r.source, r.payload.toString(), r.error])).toEqual([
      [
        `file ${file} line 102`,
        '101,"stray',
        'a quoted field is not closed within maxRecordSize (1024 bytes); the record is rejected up to the end of line 102 and reading goes on at the next line',
      ],
    ]);
  });

  it('fails a record longer than maxRecordSize or with a field longer than maxFieldSize', async () => {
    const { ssc, clock } = setup();
    const sink = memorySink();
    const stream = fileStream(ssc, bed.folders.watched, {
      format: 'csv',
      onDecodeError: deadLetter(sink),
      csv: { maxRecordSize: 40, maxFieldSize: 10 },
      readBlockSize: 16,
    });
    const out = collect(stream);
    ssc.start();
    const long = 'z'.repeat(60);
    const csv = `a,b\n1,short\n2,${long}\n3,"${'q'.repeat(11)}"\n4,${'u'.repeat(11)}\n5,ok\n`;
    const file = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'long.csv',
      csv,
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(out[0][1]).toEqual([
      { a: '1', b: 'short' },
      { a: '5', b: 'ok' },
    ]);
    expect(sink.records.map((r) => [r.source, r.error])).toEqual([
      [
        `file ${file} line 3`,
        'the record is longer than maxRecordSize (40 bytes); the record is rejected up to the end of line 3 and reading goes on at the next line',
      ],
      [
        `file ${file} line 4`,
        'a quoted field is longer than maxFieldSize (10 bytes); the record is rejected up to the end of line 4 and reading goes on at the next line',
      ],
      [`file ${file} line 5`, 'field 2 is longer than maxFieldSize (10 bytes)'],
    ]);
  });

  it('validates the limits, naming the option', () => {
    const { ssc } = setup();
    for (const [csv, option] of [
      [{ maxRecordSize: 0 }, 'csv.maxRecordSize'],
      [{ maxFieldSize: -1 }, 'csv.maxFieldSize'],
      [{ maxRecordSize: '1MB' }, 'csv.maxRecordSize'],
    ] as const) {
      expect(() =>
        fileStream(ssc, bed.folders.watched, {
          format: 'csv',
          csv: csv as { maxRecordSize: number },
        }),
      ).toThrow(expect.objectContaining({ option }));
    }
  });
});

describe('fileStream with a custom line decoder', () => {
  it('decodes every line with the function, errors following onDecodeError', async () => {
    const { ssc, clock } = setup();
    const stream = fileStream(ssc, bed.folders.watched, {
      format: (line: Buffer) => {
        const n = Number(line.toString('utf8'));
        if (!Number.isInteger(n)) throw new Error('not an integer');
        return n;
      },
      onDecodeError: 'skip',
    });
    const out = collect(stream.map((n) => n * 10));
    const metadata = collectMetadata(ssc, stream);
    ssc.start();
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'numbers.txt',
      '1\n2\nthree\n4\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), [10, 20, 40]]]);
    expect(metadata[0][1].decodeFailures).toBe(1);
  });
});
