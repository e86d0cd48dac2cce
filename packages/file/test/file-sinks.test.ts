import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Batch, ConfigurationError } from '@dstream/core';
import {
  csvFileSink,
  FileError,
  fileStream,
  jsonLinesFileSink,
  textFileSink,
} from '../src/index.js';
import {
  batchTime,
  collect,
  runBatches,
  setModificationTime,
  fileStreamTestBed,
} from './helpers.js';

const bed = fileStreamTestBed();
const setup = bed.setup;

/** The entries of a directory, sorted. */
async function list(path: string): Promise<string[]> {
  return (await readdir(path)).sort();
}

async function text(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

describe('textFileSink', () => {
  it('writes every batch as prefix-<time>.suffix with a part file per partition and a _SUCCESS marker', async () => {
    const { ssc, clock } = setup();
    const out = join(bed.folders.root, 'out');
    ssc
      .queueStream([Batch.fromPartitions([['a', 'b'], ['c']]), ['d']])
      .to(textFileSink(join(out, 'words'), { suffix: 'txt' }));
    ssc.start();
    await runBatches(ssc, clock, 3);

    expect(await list(out)).toEqual([
      `words-${batchTime(1)}.txt`,
      `words-${batchTime(2)}.txt`,
      `words-${batchTime(3)}.txt`,
    ]);
    const first = join(out, `words-${batchTime(1)}.txt`);
    expect(await list(first)).toEqual(['_SUCCESS', 'part-00000', 'part-00001']);
    expect(await text(join(first, 'part-00000'))).toBe('a\nb\n');
    expect(await text(join(first, 'part-00001'))).toBe('c\n');
    expect(await text(join(out, `words-${batchTime(2)}.txt`, 'part-00000'))).toBe('d\n');
    // An empty batch still gets its directory, as in Spark.
    expect(await list(join(out, `words-${batchTime(3)}.txt`))).toEqual(['_SUCCESS', 'part-00000']);
    expect(await text(join(out, `words-${batchTime(3)}.txt`, 'part-00000'))).toBe('');
  });

  it('formats records with the format option, or as print() shows them', async () => {
    const { ssc, clock } = setup();
    const stream = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 2],
      ],
    ]);
    stream.to(
      textFileSink(join(bed.folders.root, 'tsv'), { format: ([word, n]) => `${word}\t${n}` }),
    );
    stream.to(textFileSink(join(bed.folders.root, 'default')));
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(await text(join(bed.folders.root, `tsv-${batchTime(1)}`, 'part-00000'))).toBe(
      'a\t1\nb\t2\n',
    );
    expect(await text(join(bed.folders.root, `default-${batchTime(1)}`, 'part-00000'))).toBe(
      "[ 'a', 1 ]\n[ 'b', 2 ]\n",
    );
  });

  it('replaces the directory when a batch time is written again (idempotent)', async () => {
    const sink = textFileSink(join(bed.folders.root, 'out'), { fsync: false });
    expect(sink.guarantee).toBe('idempotent');
    const time = batchTime(1);
    for (let p = 0; p < 3; p++)
      await sink.write([`old ${p}`], { batchTime: time, partition: p, numPartitions: 3 });
    const directory = sink.directoryOf(time);
    expect(await list(directory)).toEqual(['_SUCCESS', 'part-00000', 'part-00001', 'part-00002']);

    await sink.write(['new'], { batchTime: time, partition: 0, numPartitions: 1 });
    expect(await list(directory)).toEqual(['_SUCCESS', 'part-00000']);
    expect(await text(join(directory, 'part-00000'))).toBe('new\n');
    expect(await list(bed.folders.root)).toEqual(['in', `out-${time}`, 'staging']);
  });

  it('writes large partitions completely', async () => {
    const sink = textFileSink<string>(join(bed.folders.root, 'big'));
    const records = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    await sink.write(records, { batchTime: 1000, partition: 0, numPartitions: 1 });
    const written = await text(join(sink.directoryOf(1000), 'part-00000'));
    expect(written).toBe(records.join('\n') + '\n');
  });
});

describe('file sinks: a crash during a write leaves nothing visible', () => {
  it('a write that throws midway leaves no batch directory and no part file', async () => {
    const { ssc, clock } = setup();
    const out = join(bed.folders.root, 'out');
    const sink = textFileSink<string>(join(out, 'words'), {
      format: (word) => {
        if (word === 'boom') throw new Error('cannot format boom');
        return word;
      },
    });
    ssc
      .queueStream([
        Batch.fromPartitions([
          ['a', 'b'],
          ['c', 'boom', 'd'],
        ]),
        ['e'],
      ])
      .to(sink);
    ssc.start();
    await runBatches(ssc, clock, 1);

    const error = await ssc.awaitTermination(10).catch((e: unknown) => e);
    const cause = (error as Error).cause as FileError;
    expect(cause).toBeInstanceOf(FileError);
    expect(cause.code).toBe('RECORD_NOT_WRITABLE');
    expect(cause.message).toContain(`words-${batchTime(1)}`);
    // Partition 0 had been written, but only inside the hidden directory, now removed.
    expect(await list(out)).toEqual([]);

    await runBatches(ssc, clock, 1);
    expect(await list(out)).toEqual([`words-${batchTime(2)}`]);
  });

  it('a process that dies between part files leaves only a hidden directory, which a rewrite never shows', async () => {
    const prefix = join(bed.folders.root, 'out', 'events');
    const crashed = jsonLinesFileSink(prefix);
    await crashed.write([{ n: 1 }], { batchTime: 5000, partition: 0, numPartitions: 2 });
    // The process dies here: no more calls, no cleanup.
    const visible = (await list(join(bed.folders.root, 'out'))).filter(
      (name) => !name.startsWith('.'),
    );
    expect(visible).toEqual([]);

    // After a restart the batch is written again, complete.
    const restarted = jsonLinesFileSink(prefix);
    await restarted.write([{ n: 1 }], { batchTime: 5000, partition: 0, numPartitions: 2 });
    await restarted.write([{ n: 2 }], { batchTime: 5000, partition: 1, numPartitions: 2 });
    expect(await list(`${prefix}-5000`)).toEqual(['_SUCCESS', 'part-00000', 'part-00001']);
  });

  it('a file stream watching the output folder never reads a batch that is being written', async () => {
    const { ssc, clock } = setup();
    const out = collect(fileStream(ssc, bed.folders.watched, { format: 'jsonl', filter: '*' }));
    ssc.start();
    const sink = jsonLinesFileSink(join(bed.folders.watched, 'events'));
    await sink.write([{ n: 1 }], { batchTime: 1, partition: 0, numPartitions: 2 });
    for (const name of await readdir(bed.folders.watched))
      await setModificationTime(join(bed.folders.watched, name), batchTime(1) - 100);
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), []]]);
  });
});

describe('jsonLinesFileSink', () => {
  it('writes one JSON document per line', async () => {
    const sink = jsonLinesFileSink(join(bed.folders.root, 'json'), { suffix: 'jsonl' });
    await sink.write([{ a: 1 }, 'two', [3], null], {
      batchTime: 7000,
      partition: 0,
      numPartitions: 1,
    });
    expect(await text(join(bed.folders.root, 'json-7000.jsonl', 'part-00000'))).toBe(
      '{"a":1}\n"two"\n[3]\nnull\n',
    );
  });

  it('fails with RECORD_NOT_WRITABLE on a record without JSON form and shows nothing', async () => {
    const sink = jsonLinesFileSink(join(bed.folders.root, 'json'));
    await expect(
      sink.write([{ a: 1 }, undefined], { batchTime: 7000, partition: 0, numPartitions: 1 }),
    ).rejects.toMatchObject({
      code: 'RECORD_NOT_WRITABLE',
    });
    await expect(
      sink.write([{ big: 1n }], { batchTime: 7000, partition: 0, numPartitions: 1 }),
    ).rejects.toMatchObject({
      code: 'RECORD_NOT_WRITABLE',
    });
    expect(await list(bed.folders.root)).toEqual(['in', 'staging']);
  });
});

describe('csvFileSink', () => {
  it('writes a header and RFC 4180 quoted fields', async () => {
    const sink = csvFileSink<{ name: unknown; note?: unknown; n?: unknown }>(
      join(bed.folders.root, 'csv'),
      { columns: ['name', 'note', 'n'] },
    );
    await sink.write(
      [
        { name: 'plain', note: 'has, comma', n: 1 },
        { name: 'quote "q"', note: 'line\nbreak', n: null },
        { name: ' padded ', note: undefined, n: { x: 1 } },
        { name: new Date(0), n: true },
      ],
      { batchTime: 3000, partition: 0, numPartitions: 1 },
    );
    expect(await text(join(bed.folders.root, 'csv-3000', 'part-00000'))).toBe(
      'name,note,n\n' +
        'plain,"has, comma",1\n' +
        '"quote ""q""","line\nbreak",\n' +
        '" padded ",,"{""x"":1}"\n' +
        '1970-01-01T00:00:00.000Z,,true\n',
    );
  });

  it('writes what the CSV file stream reads back as the same rows', async () => {
    const rows = [
      { id: '1', text: 'simple' },
      { id: '2', text: 'with; semicolon, comma and "quotes"' },
      { id: '3', text: 'multi\r\nline' },
      { id: '4', text: '' },
    ];
    const sink = csvFileSink<{ id: string; text: string }>(join(bed.folders.staging, 'rows'), {
      columns: ['id', 'text'],
      delimiter: ';',
    });
    await sink.write(rows, { batchTime: 1, partition: 0, numPartitions: 1 });

    const { ssc, clock } = setup();
    const out = collect(
      fileStream(ssc, bed.folders.watched, { format: 'csv', csv: { delimiter: ';' } }),
    );
    ssc.start();
    const { rename } = await import('node:fs/promises');
    const moved = join(bed.folders.watched, 'rows.csv');
    await rename(join(bed.folders.staging, 'rows-1', 'part-00000'), moved);
    await setModificationTime(moved, batchTime(1) - 10);
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[batchTime(1), rows]]);
  });

  it('can leave out the header row', async () => {
    const sink = csvFileSink<{ a: number }>(join(bed.folders.root, 'csv'), {
      columns: ['a'],
      header: false,
    });
    await sink.write([{ a: 1 }], { batchTime: 3000, partition: 0, numPartitions: 1 });
    expect(await text(join(bed.folders.root, 'csv-3000', 'part-00000'))).toBe('1\n');
  });
});

describe('file sinks: writeEmptyBatches', () => {
  it('with false, leaves no directory for an empty batch and no part file for an empty partition', async () => {
    const { ssc, clock } = setup();
    const out = join(bed.folders.root, 'out');
    ssc
      .queueStream<{ n: number }>([
        Batch.fromPartitions([[{ n: 1 }], []]),
        [],
        Batch.fromPartitions([[], [{ n: 2 }, { n: 3 }]]),
      ])
      .to(jsonLinesFileSink(join(out, 'alerts'), { suffix: 'jsonl', writeEmptyBatches: false }));
    ssc.start();
    await runBatches(ssc, clock, 4);

    expect(await list(out)).toEqual([
      `alerts-${batchTime(1)}.jsonl`,
      `alerts-${batchTime(3)}.jsonl`,
    ]);
    const first = join(out, `alerts-${batchTime(1)}.jsonl`);
    expect(await list(first)).toEqual(['_SUCCESS', 'part-00000']);
    expect(await text(join(first, 'part-00000'))).toBe('{"n":1}\n');
    const third = join(out, `alerts-${batchTime(3)}.jsonl`);
    expect(await list(third)).toEqual(['_SUCCESS', 'part-00001']);
    expect(await text(join(third, 'part-00001'))).toBe('{"n":2}\n{"n":3}\n');
  });

  it('with false and used directly, commits a batch once all partitions are written, empty ones included', async () => {
    const out = join(bed.folders.root, 'direct');
    const sink = csvFileSink<{ a: number }>(join(out, 'rows'), {
      columns: ['a'],
      writeEmptyBatches: false,
    });
    const part = (batchTimeMs: number, partition: number) => ({
      batchTime: batchTimeMs,
      partition,
      numPartitions: 2,
    });
    await sink.write([], part(1000, 0));
    await sink.write([], part(1000, 1));
    await sink.write([], part(2000, 0));
    expect(await readdir(out).catch(() => [])).toEqual([]);
    await sink.write([{ a: 1 }], part(2000, 1));
    expect(await list(out)).toEqual(['rows-2000']);
    expect(await list(join(out, 'rows-2000'))).toEqual(['_SUCCESS', 'part-00001']);
    await sink.close();
  });
});

describe('file sinks: validation', () => {
  it('rejects bad options when the sink is created, naming the option', () => {
    const bad: Array<[() => unknown, string]> = [
      [() => textFileSink(''), 'prefix'],
      [() => textFileSink('/tmp/x', { suffix: 'a/b' }), 'suffix'],
      [() => textFileSink('/tmp/x', { format: 'upper' as unknown as () => string }), 'format'],
      [() => textFileSink('/tmp/x', { fsync: 1 as unknown as boolean }), 'fsync'],
      [
        () => jsonLinesFileSink('/tmp/x', { writeEmptyBatches: 'no' as unknown as boolean }),
        'writeEmptyBatches',
      ],
      [() => jsonLinesFileSink('/tmp/x', { pretty: true } as object), 'pretty'],
      [() => csvFileSink('/tmp/x', { columns: [] }), 'columns'],
      [() => csvFileSink<{ a: 1 }>('/tmp/x', { columns: ['a', 'a'] }), 'columns'],
      [() => csvFileSink<{ a: 1 }>('/tmp/x', { columns: ['a'], delimiter: '::' }), 'delimiter'],
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
});
