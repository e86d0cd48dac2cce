import { appendFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, DecodeError } from '@dstream/core';
import { createFileInputSource, FileError, fileStream, textFileStream } from '../src/index.js';
import {
  batchTime,
  collect,
  collectMetadata,
  moveIn,
  runBatches,
  setModificationTime,
  START,
  fileStreamTestBed,
} from './helpers.js';

const bed = fileStreamTestBed();
const setup = bed.setup;

describe('textFileStream: which files a batch takes', () => {
  it('takes each file moved in during a batch interval in that batch, exactly once', async () => {
    const { ssc, clock } = setup();
    const lines = textFileStream(ssc, bed.folders.watched);
    const out = collect(lines);
    const metadata = collectMetadata(ssc, lines);
    ssc.start();

    const a = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'a.txt',
      'a1\na2\n',
      batchTime(1) - 500,
    );
    const b = await moveIn(bed.folders.staging, bed.folders.watched, 'b.txt', 'b1\n', batchTime(1));
    await runBatches(ssc, clock, 1);
    const c = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'c.txt',
      'c1\n',
      batchTime(2) - 1,
    );
    await runBatches(ssc, clock, 3);

    expect(out).toEqual([
      [batchTime(1), ['a1', 'a2', 'b1']],
      [batchTime(2), ['c1']],
      [batchTime(3), []],
      [batchTime(4), []],
    ]);
    expect(metadata.map(([, m]) => m.files)).toEqual([[a, b], [c], [], []]);
  });

  it('leaves a file whose modification time is after the batch time to the batch of its interval', async () => {
    const { ssc, clock } = setup();
    const out = collect(textFileStream(ssc, bed.folders.watched));
    ssc.start();
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'later.txt',
      'later\n',
      batchTime(3) - 200,
    );
    await runBatches(ssc, clock, 3);
    expect(out).toEqual([
      [batchTime(1), []],
      [batchTime(2), []],
      [batchTime(3), ['later']],
    ]);
  });

  it('takes a file that appears late, with an older modification time, in the next batch within the remember window', async () => {
    const { ssc, clock } = setup({});
    const out = collect(textFileStream(ssc, bed.folders.watched, { minRememberDuration: 5000 }));
    ssc.start();
    await runBatches(ssc, clock, 3);
    // Written at the time of batch 1 but moved in only now, during batch 4's interval.
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'late.txt',
      'late\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 2);
    expect(out.slice(3)).toEqual([
      [batchTime(4), ['late']],
      [batchTime(5), []],
    ]);
  });

  it('ignores files older than the remember window and forgets taken files once they leave it', async () => {
    const { ssc, clock } = setup();
    const source = createFileInputSource(ssc, bed.folders.watched, { minRememberDuration: 2500 });
    const out = collect(ssc.inputStream(source));
    ssc.start();
    await moveIn(bed.folders.staging, bed.folders.watched, 'one.txt', 'one\n', batchTime(1) - 10);
    await moveIn(bed.folders.staging, bed.folders.watched, 'two.txt', 'two\n', batchTime(2) - 10);
    await runBatches(ssc, clock, 2);
    expect(source.rememberedFileCount).toBe(2);

    // Remember window 2500 ms rounds up to 3 batch intervals: at batch 5 the threshold is batch 2.
    await runBatches(ssc, clock, 3);
    expect(source.rememberedFileCount).toBe(0);
    // A file moved in now with a modification time older than the window is ignored.
    await moveIn(bed.folders.staging, bed.folders.watched, 'old.txt', 'old\n', batchTime(2) - 10);
    await runBatches(ssc, clock, 2);

    expect(out.map(([time, records]) => [time, records])).toEqual([
      [batchTime(1), ['one']],
      [batchTime(2), ['two']],
      [batchTime(3), []],
      [batchTime(4), []],
      [batchTime(5), []],
      [batchTime(6), []],
      [batchTime(7), []],
    ]);
  });

  it('ignores files already in the directory at start unless newFilesOnly is false', async () => {
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'existing.txt',
      'existing\n',
      START - 5000,
    );
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'ancient.txt',
      'ancient\n',
      START - 120_000,
    );

    const first = setup();
    const ignored = collect(textFileStream(first.ssc, bed.folders.watched));
    first.ssc.start();
    await runBatches(first.ssc, first.clock, 2);
    await first.ssc.stop();
    expect(ignored).toEqual([
      [batchTime(1), []],
      [batchTime(2), []],
    ]);

    const second = setup();
    const read = collect(textFileStream(second.ssc, bed.folders.watched, { newFilesOnly: false }));
    second.ssc.start();
    await runBatches(second.ssc, second.clock, 2);
    // 'ancient.txt' is older than the 60 s remember window, as in Spark.
    expect(read).toEqual([
      [batchTime(1), ['existing']],
      [batchTime(2), []],
    ]);
  });

  it('reads only the files whose names match the glob filter', async () => {
    const { ssc, clock } = setup();
    const single = collect(textFileStream(ssc, bed.folders.watched, { filter: '*.log' }));
    const several = collect(
      textFileStream(ssc, bed.folders.watched, { filter: ['*.log', 'data-?.txt'] }),
    );
    const predicate = collect(
      textFileStream(ssc, bed.folders.watched, { filter: (name) => name.startsWith('data') }),
    );
    ssc.start();
    for (const name of ['app.log', 'data-1.txt', 'data-10.txt', 'notes.md']) {
      await moveIn(bed.folders.staging, bed.folders.watched, name, `${name}\n`, batchTime(1) - 100);
    }
    await runBatches(ssc, clock, 1);
    expect(single).toEqual([[batchTime(1), ['app.log']]]);
    expect(several).toEqual([[batchTime(1), ['app.log', 'data-1.txt']]]);
    expect(predicate).toEqual([[batchTime(1), ['data-1.txt', 'data-10.txt']]]);
  });

  it('ignores sub-directories', async () => {
    const { ssc, clock } = setup();
    const out = collect(textFileStream(ssc, bed.folders.watched));
    ssc.start();
    const nested = join(bed.folders.watched, 'nested');
    await mkdir(nested);
    await writeFile(join(nested, 'inner.txt'), 'inner\n');
    await setModificationTime(nested, batchTime(1) - 100);
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), []]]);
  });
});

describe('textFileStream: files still being written are never read half', () => {
  it('never reads hidden or temporary files, and reads a file renamed from a temporary name whole', async () => {
    const { ssc, clock } = setup();
    const out = collect(textFileStream(ssc, bed.folders.watched));
    ssc.start();
    const copying = join(bed.folders.watched, 'big.txt._COPYING_');
    for (const name of ['.hidden.txt', '_SUCCESS', 'part.tmp']) {
      await writeFile(join(bed.folders.watched, name), 'never\n');
      await setModificationTime(join(bed.folders.watched, name), batchTime(1) - 100);
    }
    await writeFile(copying, 'first half\n');
    await setModificationTime(copying, batchTime(1) - 100);
    await runBatches(ssc, clock, 1);

    appendFileSync(copying, 'second half\n');
    await setModificationTime(copying, batchTime(2) - 100);
    await rename(copying, join(bed.folders.watched, 'big.txt'));
    await runBatches(ssc, clock, 2);

    expect(out).toEqual([
      [batchTime(1), []],
      [batchTime(2), ['first half', 'second half']],
      [batchTime(3), []],
    ]);
  });

  it('leaves a file that changes between listing and reading for a later batch, then reads it whole', async () => {
    const { ssc, clock } = setup();
    const growing = join(bed.folders.watched, 'b-growing.txt');
    let appended = false;
    // Decoding a.txt (read first: it is older) appends to b-growing.txt, which was listed
    // already and is read next: its size and modification time no longer match the listing.
    const decoder = (line: Buffer): string => {
      if (!appended) {
        appended = true;
        appendFileSync(growing, 'b2\n');
      }
      return line.toString('utf8');
    };
    const stream = fileStream(ssc, bed.folders.watched, { format: decoder });
    const out = collect(stream);
    const metadata = collectMetadata(ssc, stream);
    ssc.start();
    await moveIn(bed.folders.staging, bed.folders.watched, 'a.txt', 'a1\n', batchTime(1) - 500);
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'b-growing.txt',
      'b1\n',
      batchTime(1) - 400,
    );
    await runBatches(ssc, clock, 1);
    expect(appended).toBe(true);
    expect(out).toEqual([[batchTime(1), ['a1']]]);
    expect(metadata[0][1].files).toEqual([join(bed.folders.watched, 'a.txt')]);

    // The writer finished: its modification time now lies in batch 2's interval.
    await setModificationTime(growing, batchTime(2) - 100);
    await runBatches(ssc, clock, 2);
    expect(out.slice(1)).toEqual([
      [batchTime(2), ['b1', 'b2']],
      [batchTime(3), []],
    ]);
  });
});

describe('textFileStream: lines', () => {
  it('splits lines on \\n, strips \\r, keeps empty lines and a last line without newline, drops a byte order mark', async () => {
    const { ssc, clock } = setup();
    const out = collect(textFileStream(ssc, bed.folders.watched));
    ssc.start();
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'a.txt',
      '\uFEFFfirst\r\n\r\nthird\nlast',
      batchTime(1) - 100,
    );
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'b.txt',
      'héllo wörld €\n',
      batchTime(1) - 50,
    );
    await moveIn(bed.folders.staging, bed.folders.watched, 'empty.txt', '', batchTime(1) - 10);
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), ['first', '', 'third', 'last', 'héllo wörld €']]]);
  });

  it('gives each file its own partition', async () => {
    const { ssc, clock } = setup();
    const partitions: number[][] = [];
    textFileStream(ssc, bed.folders.watched).foreachBatch((batch) => {
      partitions.push(batch.partitions.map((p) => p.length));
    });
    ssc.start();
    await moveIn(bed.folders.staging, bed.folders.watched, 'a.txt', '1\n2\n', batchTime(1) - 100);
    await moveIn(bed.folders.staging, bed.folders.watched, 'b.txt', '3\n', batchTime(1) - 50);
    await runBatches(ssc, clock, 1);
    expect(partitions).toEqual([[2, 1]]);
  });

  it('fails the batch on invalid UTF-8, naming the file and line, and takes nothing of it', async () => {
    const { ssc, clock } = setup();
    const out = collect(textFileStream(ssc, bed.folders.watched));
    ssc.start();
    const bad = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'bad.txt',
      Buffer.from([0x6f, 0x6b, 0x0a, 0xff, 0xfe, 0x0a]),
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    const error = await ssc.awaitTermination(10).catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(DecodeError);
    expect(((error as Error).cause as DecodeError).source).toBe(`file ${bad} line 2`);
    expect(out).toEqual([]);
  });
});

describe('fileStream: JSON lines', () => {
  it('decodes one JSON value per line and ignores blank lines', async () => {
    const { ssc, clock } = setup();
    const out = collect(fileStream<{ id: number }>(ssc, bed.folders.watched, { format: 'jsonl' }));
    ssc.start();
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'events.jsonl',
      '{"id":1}\n\n  \r\n{"id":2}\r\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), [{ id: 1 }, { id: 2 }]]]);
  });

  it("with onDecodeError 'fail', fails every batch that holds the bad file, naming file and line", async () => {
    const { ssc, clock } = setup();
    const out = collect(fileStream(ssc, bed.folders.watched, { format: 'jsonl' }));
    ssc.start();
    const file = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'bad.jsonl',
      '{"id":1}\n{"id":\n{"id":3}\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 2);
    const error = await ssc.awaitTermination(10).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OUTPUT_OPERATION_FAILED' });
    const cause = (error as Error).cause as DecodeError;
    expect(cause).toBeInstanceOf(DecodeError);
    expect(cause.code).toBe('DECODE_FAILED');
    expect(cause.message).toContain(`file ${file} line 2`);
    // Nothing of the file was taken: the batches that hold it fail, none is emitted.
    expect(out).toEqual([]);
  });

  it("with onDecodeError 'skip', drops the bad line, counted in the batch metadata", async () => {
    const { ssc, clock } = setup();
    const stream = fileStream(ssc, bed.folders.watched, { format: 'jsonl', onDecodeError: 'skip' });
    const out = collect(stream);
    const metadata = collectMetadata(ssc, stream);
    ssc.start();
    await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'mixed.jsonl',
      '{"id":1}\nnot json\n{"id":3}\n',
      batchTime(1) - 100,
    );
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [batchTime(1), [{ id: 1 }, { id: 3 }]],
      [batchTime(2), []],
    ]);
    expect(metadata.map(([, m]) => m.decodeFailures)).toEqual([1, 0]);
  });
});

describe('fileStream: validation', () => {
  it('rejects bad options when the stream is created, naming the option', () => {
    const { ssc } = setup();
    const dir = bed.folders.watched;
    const bad: Array<[() => unknown, string]> = [
      [() => textFileStream(ssc, ''), 'directory'],
      [() => fileStream(ssc, dir, { format: 'xml' as 'text' }), 'format'],
      [() => fileStream(ssc, dir, { filter: [] }), 'filter'],
      [() => fileStream(ssc, dir, { filter: 42 as unknown as string }), 'filter'],
      [() => fileStream(ssc, dir, { minRememberDuration: -1 }), 'minRememberDuration'],
      [() => fileStream(ssc, dir, { newFilesOnly: 'yes' as unknown as boolean }), 'newFilesOnly'],
      [() => fileStream(ssc, dir, { onDecodeError: 'ignore' as 'skip' }), 'onDecodeError'],
      [() => fileStream(ssc, dir, { format: 'text', csv: { delimiter: ';' } }), 'csv'],
      [() => fileStream(ssc, dir, { format: 'csv', csv: { delimiter: '"' } }), 'csv.delimiter'],
      [() => fileStream(ssc, dir, { format: 'csv', csv: { quote: "'" } as object }), 'quote'],
      [() => fileStream(ssc, dir, { recursive: true } as object), 'recursive'],
      [() => textFileStream(ssc, dir, { format: 'jsonl' } as object), 'format'],
    ];
    for (const [create, option] of bad) {
      let error: unknown;
      try {
        create();
      } catch (e) {
        error = e;
      }
      expect(error, option).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).option).toBe(option);
    }
  });

  it('fails the batch naming the directory when it cannot be listed', async () => {
    const { ssc, clock } = setup();
    const missing = join(bed.folders.root, 'missing');
    collect(textFileStream(ssc, missing));
    ssc.start();
    await runBatches(ssc, clock, 1);
    const error = await ssc.awaitTermination(10).catch((e: unknown) => e);
    const cause = (error as Error).cause as FileError;
    expect(cause).toBeInstanceOf(FileError);
    expect(cause.code).toBe('FILE_LISTING_FAILED');
    expect(cause.path).toBe(missing);
    expect(cause.message).toContain(missing);
  });
});
