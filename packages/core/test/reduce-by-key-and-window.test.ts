import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DStreamError,
  IllegalArgumentError,
  ManualClock,
  StreamingContext,
  partitionOf,
  type StatefulComputation,
} from '../src/index.js';
import { ReducedWindowedComputation } from '../src/dstream/reduced-windowed-dstream.js';
import { collect, manualContext, runBatches, sortRecords } from './helpers.js';

const add = (a: number, b: number): number => a + b;
const subtract = (a: number, b: number): number => a - b;
const nonZero = (pair: [string, number]): boolean => pair[1] !== 0;
const CHECKPOINT_DIR = '/tmp/dstream-test-reduce-by-key-and-window';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

function pairs(...keys: string[]): [string, number][] {
  return keys.map((key) => [key, 1]);
}

describe('reduceByKeyAndWindow with an inverse function', () => {
  it('adds the batches that enter the window and takes out those that leave it', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream([pairs('a', 'a', 'b'), pairs('a'), pairs('c')]);
    const filtered = collect(
      input.reduceByKeyAndWindow(add, subtract, 3000, 1000, undefined, nonZero),
    );
    const unfiltered = collect(input.reduceByKeyAndWindow(add, subtract, 3000, 1000));
    ssc.start();
    await runBatches(ssc, clock, 6);
    expect(filtered).toEqual([
      [
        1000,
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [
        2000,
        [
          ['a', 3],
          ['b', 1],
        ],
      ],
      [
        3000,
        [
          ['a', 3],
          ['b', 1],
          ['c', 1],
        ],
      ],
      [
        4000,
        [
          ['a', 1],
          ['c', 1],
        ],
      ],
      [5000, [['c', 1]]],
      [6000, []],
    ]);
    // Without a filter, keys whose values all left the window stay with the inverse's result.
    expect(unfiltered).toEqual([
      [
        1000,
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [
        2000,
        [
          ['a', 3],
          ['b', 1],
        ],
      ],
      [
        3000,
        [
          ['a', 3],
          ['b', 1],
          ['c', 1],
        ],
      ],
      [
        4000,
        [
          ['a', 1],
          ['b', 0],
          ['c', 1],
        ],
      ],
      [
        5000,
        [
          ['a', 0],
          ['b', 0],
          ['c', 1],
        ],
      ],
      [
        6000,
        [
          ['a', 0],
          ['b', 0],
          ['c', 0],
        ],
      ],
    ]);
  });

  it('computes partial first windows and slides longer than the batch interval', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream([
      pairs('a'),
      pairs('b'),
      pairs('a', 'c'),
      pairs('a'),
      pairs('b'),
      [],
      [],
    ]);
    const out = collect(input.reduceByKeyAndWindow(add, subtract, 4000, 2000, undefined, nonZero));
    ssc.start();
    await runBatches(ssc, clock, 8);
    expect(out).toEqual([
      [
        2000,
        [
          ['a', 1],
          ['b', 1],
        ],
      ],
      [
        4000,
        [
          ['a', 3],
          ['b', 1],
          ['c', 1],
        ],
      ],
      [
        6000,
        [
          ['a', 2],
          ['b', 1],
          ['c', 1],
        ],
      ],
      [8000, [['b', 1]]],
    ]);
  });

  it('hash-partitions its output into the requested number of partitions', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const input = ssc.queueStream([pairs(...keys), pairs('a')]);
    const layouts: (readonly (readonly [string, number])[])[][] = [];
    input.reduceByKeyAndWindow(add, subtract, 2000, 1000, 3).foreachBatch((batch) => {
      layouts.push(batch.partitions.map((partition) => [...partition]));
    });
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(layouts).toHaveLength(2);
    for (const partitions of layouts) {
      expect(partitions).toHaveLength(3);
      partitions.forEach((partition, index) => {
        for (const [key] of partition) expect(partitionOf(key, 3)).toBe(index);
      });
    }
    expect(sortRecords(layouts[1].flat())).toEqual(keys.map((key) => [key, key === 'a' ? 2 : 1]));
  });

  it('compares composite keys by value', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[[string, number], number]>([
      [[['x', 1], 1]],
      [[['x', 1], 2]],
      [],
    ]);
    const out = collect(
      input.reduceByKeyAndWindow(add, subtract, 2000, 1000, undefined, (pair) => pair[1] !== 0),
    );
    ssc.start();
    await runBatches(ssc, clock, 4);
    expect(out).toEqual([
      [1000, [[['x', 1], 1]]],
      [2000, [[['x', 1], 3]]],
      [3000, [[['x', 1], 2]]],
      [4000, []],
    ]);
  });

  const combinations: Array<{ window: number; slide: number; partitions?: number }> = [
    { window: 3000, slide: 1000 },
    { window: 4000, slide: 2000 },
    { window: 2000, slide: 2000 },
    { window: 6000, slide: 2000, partitions: 3 },
    { window: 3000, slide: 3000 },
    { window: 1000, slide: 1000 },
    { window: 5000, slide: 1000, partitions: 4 },
    { window: 2000, slide: 3000 },
  ];

  for (const { window, slide, partitions } of combinations) {
    it(`equals window(${window}, ${slide}).reduceByKey on random input${partitions ? ` with ${partitions} partitions` : ''}`, async () => {
      const batchArbitrary = fc.array(
        fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 1, max: 9 })),
        {
          maxLength: 6,
        },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(batchArbitrary, { minLength: 1, maxLength: 10 }),
          async (batches) => {
            const { ssc, clock } = manualContext();
            try {
              ssc.checkpoint(CHECKPOINT_DIR);
              const input = ssc.queueStream(
                batches.map((batch) => batch.map(([k, v]): [string, number] => [k, v])),
              );
              const plain = collect(input.window(window, slide).reduceByKey(add));
              const incremental = collect(
                input.reduceByKeyAndWindow(add, subtract, window, slide, partitions, nonZero),
              );
              const unfiltered = collect(
                input.reduceByKeyAndWindow(add, subtract, window, slide, partitions),
              );
              ssc.start();
              const total = batches.length + window / 1000 + slide / 1000 + 1;
              clock.advance(total * 1000);
              await ssc.awaitIdle();
              expect(incremental).toEqual(plain);
              expect(unfiltered.map(([time, records]) => [time, records.filter(nonZero)])).toEqual(
                plain,
              );
              expect(plain.length).toBe(Math.floor(total / (slide / 1000)));
            } finally {
              await ssc.stop();
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  }

  it('gives the same counts as countByValueAndWindow and countByWindow expect', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream([['a', 'b'], ['a'], [], []]);
    const byValue = collect(input.countByValueAndWindow(2000, 1000));
    const count = collect(input.countByWindow(2000, 1000));
    ssc.start();
    await runBatches(ssc, clock, 4);
    expect(byValue).toEqual([
      [
        1000,
        [
          ['a', 1],
          ['b', 1],
        ],
      ],
      [
        2000,
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [3000, [['a', 1]]],
      [4000, []],
    ]);
    expect(count).toEqual([
      [1000, [2]],
      [2000, [3]],
      [3000, [1]],
      [4000, [0]],
    ]);
  });

  it('fails with a clear error when the filter drops a window value that is not empty', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const failures: string[] = [];
    ssc.addListener({
      onOutputOperationCompleted: ({ outputOperationInfo }) => {
        if (outputOperationInfo.failureReason !== undefined)
          failures.push(outputOperationInfo.failureReason);
      },
    });
    const input = ssc.queueStream([pairs('a'), [], []]);
    // Drops every pair: at 3000 the value of 'a' leaves a window the key is no longer in.
    collect(input.reduceByKeyAndWindow(add, subtract, 2000, 1000, undefined, () => false));
    ssc.start();
    await runBatches(ssc, clock, 3);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatch(/key "a" has values leaving the window/);
  });

  it('fails every window after a failed one, since its value is unknown', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const failures: string[] = [];
    ssc.addListener({
      onOutputOperationCompleted: ({ outputOperationInfo }) => {
        if (outputOperationInfo.failureReason !== undefined) {
          failures.push(`${outputOperationInfo.batchTime}: ${outputOperationInfo.failureReason}`);
        }
      },
    });
    const input = ssc.queueStream([pairs('a'), pairs('a'), pairs('a'), [], [], []]);
    let calls = 0;
    const out = collect(
      input.reduceByKeyAndWindow(
        add,
        (a, b) => {
          if (++calls === 1) throw new Error('inverse failed');
          return a - b;
        },
        2000,
        1000,
      ),
    );
    ssc.start();
    await runBatches(ssc, clock, 5);
    expect(out).toEqual([
      [1000, [['a', 1]]],
      [2000, [['a', 2]]],
    ]);
    expect(failures).toEqual([
      expect.stringMatching(/^3000: .*inverse failed/),
      expect.stringMatching(
        /^4000: .*reduceByKeyAndWindow stream is unknown since its batch at time 3000 failed \(inverse failed\)/,
      ),
      expect.stringMatching(/^5000: .*since its batch at time 3000 failed/),
    ]);
  });

  it('requires a checkpoint directory', () => {
    const { ssc } = manualContext();
    const input = ssc.queueStream([pairs('a')]);
    input.reduceByKeyAndWindow(add, subtract, 2000, 1000).print();
    expect(() => ssc.start()).toThrow(IllegalArgumentError);
    expect(() => ssc.start()).toThrow(
      /checkpoint directory has not been set.*reduceByKeyAndWindow/,
    );
  });

  it('does not require a checkpoint directory without an inverse function', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([pairs('a'), pairs('a')]);
    const out = collect(input.reduceByKeyAndWindow(add, 2000, 1000));
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [1000, [['a', 1]]],
      [2000, [['a', 2]]],
    ]);
  });

  it('rejects a window or slide that is not a multiple of the batch interval', () => {
    const { ssc } = manualContext();
    const input = ssc.queueStream<[string, number]>([]);
    expect(() => input.reduceByKeyAndWindow(add, subtract, 1500, 1000)).toThrow(
      IllegalArgumentError,
    );
    expect(() => input.reduceByKeyAndWindow(add, subtract, 1500, 1000)).toThrow(
      /window duration of a windowed stream \(1500 ms\) must be a multiple of the slide duration of the parent stream \(1 s\)/,
    );
    expect(() => input.reduceByKeyAndWindow(add, subtract, 2000, 500)).toThrow(
      /slide duration of a windowed stream \(500 ms\)/,
    );
    const windowed = input.window(2000, 2000);
    expect(() => windowed.reduceByKeyAndWindow(add, subtract, 3000, 2000)).toThrow(/\(2 s\)/);
  });
});

describe('ReducedWindowedComputation state', () => {
  it('snapshots the last window as plain data and restores it', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream([pairs('a', 'b'), pairs('a')]);
    const windowed = input.reduceByKeyAndWindow(add, subtract, 3000, 1000, 2);
    collect(windowed);
    const computation = windowed.computation as StatefulComputation<[string, number]>;
    expect(computation.kind).toBe('reduceByKeyAndWindow');
    expect(computation.requiresCheckpoint).toBe(true);
    expect(computation.parentRememberExtra).toBe(4000);
    expect(computation.shape).toEqual({
      windowDuration: 3000,
      slideDuration: 1000,
      numPartitions: 2,
    });
    expect(computation.snapshotState()).toBeUndefined();
    ssc.start();
    await runBatches(ssc, clock, 2);
    const snapshot = computation.snapshotState() as { time: number; pairs: [string, number][] };
    expect(snapshot.time).toBe(2000);
    expect(sortRecords(snapshot.pairs)).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    const copy = JSON.parse(JSON.stringify(snapshot)) as unknown;
    computation.restoreState(copy);
    expect(sortRecords((computation.snapshotState() as typeof snapshot).pairs)).toEqual(
      sortRecords(snapshot.pairs),
    );
    expect(() => computation.restoreState({ time: 'x' })).toThrow(DStreamError);
    computation.restoreState(undefined);
    expect(computation.snapshotState()).toBeUndefined();
  });

  it('continues from a restored window', async () => {
    // The window state after 1000 is restored into a context started at 1000: the next windows
    // are the restored one plus what enters them (nothing leaves them before 4000).
    const first = manualContext();
    first.ssc.checkpoint(CHECKPOINT_DIR);
    const input = first.ssc.queueStream([pairs('a', 'a')]);
    const windowed = input.reduceByKeyAndWindow(add, subtract, 3000, 1000, undefined, nonZero);
    collect(windowed);
    first.ssc.start();
    await runBatches(first.ssc, first.clock, 1);
    const snapshot = JSON.parse(
      JSON.stringify(
        (windowed.computation as ReducedWindowedComputation<string, number>).snapshotState(),
      ),
    ) as unknown;
    await first.ssc.stop();

    const clock = new ManualClock(1000);
    const ssc = new StreamingContext({ batchInterval: 1000, clock });
    ssc.checkpoint(CHECKPOINT_DIR);
    const resumed = ssc
      .queueStream([pairs('b'), pairs('a')])
      .reduceByKeyAndWindow(add, subtract, 3000, 1000, undefined, nonZero);
    const out = collect(resumed);
    (resumed.computation as ReducedWindowedComputation<string, number>).restoreState(snapshot);
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [
        2000,
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [
        3000,
        [
          ['a', 3],
          ['b', 1],
        ],
      ],
    ]);
  });
});
