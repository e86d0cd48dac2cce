import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  Batch,
  DStream,
  StreamingContext,
  type InputSource,
  type KeyStateEntry,
  type Partitioner,
} from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

/** An input that has a batch for every time except `missing`. */
function gappySource(missing: number): InputSource<number> {
  return {
    kind: 'gappy',
    computeBatch: (time) => (time === missing ? undefined : { batch: Batch.of([time]) }),
  };
}

/** Runs `batches` batches and returns the first error the context reported. */
async function firstError(ssc: StreamingContext, run: () => Promise<void>): Promise<Error> {
  const terminated = ssc.awaitTermination().then(
    () => new Error('the context terminated without an error'),
    (error: Error) => error,
  );
  await run();
  return terminated;
}

describe('a parent without a batch fails the batch, as in Spark', () => {
  it('union names itself, the parent and the time instead of giving a partial union', async () => {
    const { ssc, clock } = manualContext();
    const gappy = ssc.inputStream(gappySource(2000));
    const queue = ssc.queueStream<number>([], true, [7]);
    const union = gappy.union(queue);
    const out = collect(union);
    ssc.start();
    const error = await firstError(ssc, () => runBatches(ssc, clock, 3));
    expect(error.message).toMatch(
      new RegExp(`union#${union.id} .*at time 2000.*parent gappy#${gappy.id} .*has no batch`),
    );
    expect(out.map(([time]) => time)).toEqual([1000, 3000]);
  });

  it('transform fails the batch whose parent has none', async () => {
    const { ssc, clock } = manualContext();
    const gappy = ssc.inputStream(gappySource(1000));
    const transformed = gappy.transform((batch) => batch.map((x) => x + 1));
    collect(transformed);
    ssc.start();
    const error = await firstError(ssc, () => runBatches(ssc, clock, 1));
    expect(error.message).toMatch(
      new RegExp(`transform#${transformed.id} .*at time 1000.*parent gappy#${gappy.id}`),
    );
  });

  it('transformWith fails the batch when either parent has none', async () => {
    const { ssc, clock } = manualContext();
    const gappy = ssc.inputStream(gappySource(1000));
    const queue = ssc.queueStream<number>([[1]]);
    const combined = queue.transformWith(gappy, (left, right) => left.union(right));
    collect(combined);
    ssc.start();
    const error = await firstError(ssc, () => runBatches(ssc, clock, 1));
    expect(error.message).toMatch(
      new RegExp(`transformWith#${combined.id} .*at time 1000.*parent gappy#${gappy.id}`),
    );
  });

  it('map keeps Spark’s lenient rule: no parent batch, no batch, no error', async () => {
    const { ssc, clock } = manualContext();
    const out = collect(ssc.inputStream(gappySource(2000)).map((x) => x / 1000));
    let failed: unknown;
    ssc.awaitTermination().catch((error: unknown) => (failed = error));
    ssc.start();
    await runBatches(ssc, clock, 3);
    expect(failed).toBeUndefined();
    expect(out).toEqual([
      [1000, [1]],
      [3000, [3]],
    ]);
  });
});

describe('transform must return a batch', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('returning %s fails at once with an error naming the transform', async (name, value) => {
    const { ssc, clock } = manualContext();
    const transformed = ssc
      .queueStream<number>([[1]])
      .transform(() => value as unknown as Batch<number>);
    collect(transformed.map((x) => x * 2));
    ssc.start();
    const error = await firstError(ssc, () => runBatches(ssc, clock, 1));
    expect(error.message).toMatch(
      new RegExp(`function of transform#${transformed.id} .*returned ${name}.*must return a Batch`),
    );
    expect(error.message).not.toMatch(/TypeError|Cannot read/);
  });
});

describe('StreamingContext.transform', () => {
  it('combines the batches of any number of streams of the same time', async () => {
    const { ssc, clock } = manualContext();
    const numbers = ssc.queueStream<number>([[1, 2], [3]]);
    const words = ssc.queueStream<string>([['a'], ['b', 'c']]);
    const flags = ssc.queueStream<boolean>([[true], [false]]);
    const combined = ssc.transform([numbers, words, flags], (batches, time) => {
      expectTypeOf(batches[0]).toEqualTypeOf<Batch<number>>();
      expectTypeOf(batches[1]).toEqualTypeOf<Batch<string>>();
      const [n, w, f] = batches;
      return Batch.of([`${time}:${n.count()}/${w.collect().join('')}/${f.collect().join('')}`]);
    });
    const out = collect(combined);
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [1000, ['1000:2/a/true']],
      [2000, ['2000:1/bc/false']],
    ]);
  });

  it('refuses streams of different slides, an empty list and a function that is missing', () => {
    const { ssc } = manualContext();
    const input = ssc.queueStream<number>([]);
    expect(() => ssc.transform([input, input.window(2000, 2000)], () => Batch.empty())).toThrow(
      /same slide duration/,
    );
    expect(() => ssc.transform([], () => Batch.empty())).toThrow(/non-empty array of streams/);
    expect(() => ssc.transform([input], undefined as never)).toThrow(/transform function/);
  });

  it('fails the batch when one of the streams has none', async () => {
    const { ssc, clock } = manualContext();
    const gappy = ssc.inputStream(gappySource(1000));
    const transformed = ssc.transform([ssc.queueStream<number>([[1]]), gappy], (b) => b[0]);
    collect(transformed);
    ssc.start();
    const error = await firstError(ssc, () => runBatches(ssc, clock, 1));
    expect(error.message).toMatch(new RegExp(`transform#${transformed.id} .*gappy#${gappy.id}`));
  });
});

describe('updateStateByKey variants', () => {
  it('gives the update function the batch time', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(await temporaryDirectory());
    const input = ssc.queueStream<[string, number]>([[['a', 1]], [['a', 2]]]);
    const out = collect(
      input.updateStateByKey<string, number, string>(
        (values, state, key, time) => `${state ?? ''}${key}${values.join('')}@${time};`,
      ),
    );
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [1000, [['a', 'a1@1000;']]],
      [2000, [['a', 'a1@1000;a2@2000;']]],
    ]);
  });

  it('updates a whole partition at once, placed by a partitioner', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(await temporaryDirectory());
    const byParity: Partitioner<number> = { numPartitions: 2, getPartition: (key) => key % 2 };
    const input = ssc.queueStream<[number, number]>([
      [
        [1, 10],
        [2, 20],
        [3, 30],
      ],
      [[2, 1]],
    ]);
    const seen: string[] = [];
    const state = input.updateStateByKey<number, number, number>(
      (entries: readonly KeyStateEntry<number, number, number>[], time, partition) => {
        seen.push(`${time}/${partition}:${entries.map(([key]) => key).join(',')}`);
        // Key 3 is dropped after the first batch: keys left out are removed.
        return entries
          .filter(([key, , previous]) => key !== 3 || previous === undefined)
          .map(([key, values, previous]) => [key, (previous ?? 0) + values.length] as const);
      },
      { perPartition: true, partitioner: byParity },
    );
    const partitions: Array<[number, number[][]]> = [];
    state.foreachBatch((batch, time) => {
      partitions.push([time, batch.partitions.map((pairs) => pairs.map(([key]) => key).sort())]);
    });
    const out = collect(state);
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(seen.sort()).toEqual(['1000/0:2', '1000/1:1,3', '2000/0:2', '2000/1:1,3']);
    expect(partitions).toEqual([
      [1000, [[2], [1, 3]]],
      [2000, [[2], [1]]],
    ]);
    expect(out).toEqual([
      [
        1000,
        [
          [1, 1],
          [2, 1],
          [3, 1],
        ],
      ],
      [
        2000,
        [
          [1, 1],
          [2, 2],
        ],
      ],
    ]);
  });

  it('rememberPartitioner decides whether the state stays where the update put it', async () => {
    // The update renames each key (k, kx, kxx); the partitioner places keys by their length.
    // With the partitioning remembered a renamed key stays in the partition that produced it;
    // without, the partitioner places it again every batch.
    async function partitionsSeen(rememberPartitioner: boolean): Promise<string[]> {
      const { ssc, clock } = manualContext();
      ssc.checkpoint(await temporaryDirectory());
      const seen: string[] = [];
      const input = ssc.queueStream<[string, number]>([[['k', 1]], [], []]);
      collect(
        input.updateStateByKey<string, number, number>(
          (entries, time, partition) => {
            for (const [key] of entries) seen.push(`${time}:${key}@${partition}`);
            return entries.map(([key, , previous]) => [`${key}x`, (previous ?? 0) + 1] as const);
          },
          {
            perPartition: true,
            partitioner: { numPartitions: 3, getPartition: (key) => key.length % 3 },
            rememberPartitioner,
          },
        ),
      );
      ssc.start();
      await runBatches(ssc, clock, 3);
      await ssc.stop();
      return seen;
    }
    expect(await partitionsSeen(true)).toEqual(['1000:k@1', '2000:kx@1', '3000:kxx@1']);
    expect(await partitionsSeen(false)).toEqual(['1000:k@1', '2000:kx@2', '3000:kxx@0']);
  });

  it('refuses a partitioner whose size disagrees with numPartitions', () => {
    const { ssc } = manualContext();
    const input = ssc.queueStream<[string, number]>([]);
    expect(() =>
      input.updateStateByKey((values: number[]) => values.length, {
        numPartitions: 3,
        partitioner: { numPartitions: 2, getPartition: () => 0 },
      }),
    ).toThrow(/numPartitions.*partitioner's numPartitions \(2\)/);
  });
});

describe('Batch.of cuts partitions as Spark’s parallelize does', () => {
  it.each([
    [5, 3, [[0], [1, 2], [3, 4]]],
    [
      10,
      3,
      [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8, 9],
      ],
    ],
    [2, 4, [[], [0], [], [1]]],
    [
      4,
      2,
      [
        [0, 1],
        [2, 3],
      ],
    ],
  ])('%i records in %i partitions', (n, p, expected) => {
    const records = Array.from({ length: n }, (_, i) => i);
    expect(Batch.of(records, p).partitions).toEqual(expected);
  });

  it('refuses a number of partitions that is not a positive integer', () => {
    expect(() => Batch.of([1], 0)).toThrow(/numPartitions/);
    expect(() => Batch.of([1], 1.5)).toThrow(/numPartitions/);
  });
});

describe('slice before start', () => {
  it('says the stream has not been initialized, as Spark does', async () => {
    const { ssc } = manualContext();
    const input = ssc.queueStream<number>([]);
    await expect(input.slice(0, 1000)).rejects.toThrow(
      new RegExp(`queue#${input.id} .*has not been initialized`),
    );
  });
});

describe('filter with a type guard', () => {
  it('narrows the record type', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream<string | number>([['a', 1, 'b', 2]]);
    const strings = input.filter((value): value is string => typeof value === 'string');
    expectTypeOf(strings).toEqualTypeOf<DStream<string>>();
    const out = collect(strings.map((value) => value.toUpperCase()));
    const plain = input.filter((value) => value !== 1);
    expectTypeOf(plain).toEqualTypeOf<DStream<string | number>>();
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[1000, ['A', 'B']]]);
  });
});

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dstream-parity-'));
}
