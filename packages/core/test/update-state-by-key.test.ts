import { afterEach, describe, expect, it } from 'vitest';
import {
  Batch,
  DStreamError,
  IllegalArgumentError,
  ManualClock,
  StreamingContext,
  partitionOf,
  type StatefulComputation,
  type StateUpdateFunction,
} from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

const CHECKPOINT_DIR = '/tmp/dstream-test-update-state-by-key';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

const runningSum: StateUpdateFunction<string, number, number> = (values, state) =>
  values.reduce((sum, value) => sum + value, state ?? 0);

describe('updateStateByKey', () => {
  it('keeps a running state per key and outputs every key after each batch', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([
      [['a', 1]],
      [
        ['a', 2],
        ['b', 1],
      ],
      [],
      [
        ['b', 5],
        ['c', 1],
        ['b', 1],
      ],
    ]);
    const out = collect(input.updateStateByKey(runningSum));
    ssc.start();
    await runBatches(ssc, clock, 5);
    expect(out).toEqual([
      [1000, [['a', 1]]],
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
        ],
      ],
      [
        4000,
        [
          ['a', 3],
          ['b', 7],
          ['c', 1],
        ],
      ],
      [
        5000,
        [
          ['a', 3],
          ['b', 7],
          ['c', 1],
        ],
      ],
    ]);
  });

  it('calls the function for every key with state or new values, keys without values getting []', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const calls: Array<[number, string, number[], number | undefined]> = [];
    let batchTime = 0;
    // transform runs when the batch is computed, just before the state is updated.
    const input = ssc
      .queueStream<[string, number]>([
        [
          ['a', 1],
          ['a', 4],
        ],
        [['b', 2]],
        [],
      ])
      .transform((batch, time) => {
        batchTime = time;
        return batch;
      });
    const states = input.updateStateByKey<string, number, number>((values, state, key) => {
      calls.push([batchTime, key, [...values], state]);
      return (state ?? 0) + values.length;
    });
    collect(states);
    ssc.start();
    await runBatches(ssc, clock, 3);
    const sorted = [...calls].sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1));
    expect(sorted).toEqual([
      [1000, 'a', [1, 4], undefined],
      [2000, 'a', [], 2],
      [2000, 'b', [2], undefined],
      [3000, 'a', [], 2],
      [3000, 'b', [], 1],
    ]);
  });

  it('removes a key whose function returns undefined', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    // A session per key that ends after a batch without values; a value of 0 ends it at once.
    const input = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 1],
      ],
      [
        ['a', 1],
        ['b', 0],
      ],
      [['b', 2]],
      [],
      [],
    ]);
    const out = collect(
      input.updateStateByKey<string, number, number>((values, state) => {
        if (values.length === 0 || values.includes(0)) return undefined;
        return (state ?? 0) + values.reduce((a, b) => a + b, 0);
      }),
    );
    ssc.start();
    await runBatches(ssc, clock, 5);
    expect(out).toEqual([
      [
        1000,
        [
          ['a', 1],
          ['b', 1],
        ],
      ],
      [2000, [['a', 2]]],
      [3000, [['b', 2]]],
      [4000, []],
      [5000, []],
    ]);
  });

  it('starts from an initial state given as pairs, the first pair of a key winning', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([[['a', 1]], [['z', 1]]]);
    function* initial(): Iterable<readonly [string, number]> {
      yield ['a', 10];
      yield ['b', 20];
      yield ['a', 99];
    }
    const out = collect(input.updateStateByKey(runningSum, { initialState: initial() }));
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [
        1000,
        [
          ['a', 11],
          ['b', 20],
        ],
      ],
      [
        2000,
        [
          ['a', 11],
          ['b', 20],
          ['z', 1],
        ],
      ],
    ]);
  });

  it('starts from an initial state given as a batch, and calls keys that only have initial state', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([[['a', 1]]]);
    const initial = Batch.of<readonly [string, number]>(
      [
        ['b', 5],
        ['c', 7],
      ],
      2,
    );
    const out = collect(
      input.updateStateByKey<string, number, number>(
        (values, state) => (state === 7 ? undefined : runningSum(values, state, '', 0)),
        {
          initialState: initial,
        },
      ),
    );
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([
      [
        1000,
        [
          ['a', 1],
          ['b', 5],
        ],
      ],
    ]);
  });

  it('hash-partitions the state into numPartitions partitions', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const input = ssc.queueStream<[string, number]>([
      keys.map((k): [string, number] => [k, 1]),
      [['a', 1]],
    ]);
    const layouts: (readonly (readonly [string, number])[])[][] = [];
    input.updateStateByKey(runningSum, { numPartitions: 3 }).foreachBatch((batch) => {
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
    expect(layouts[1].flat().find(([key]) => key === 'a')).toEqual(['a', 2]);
    expect(() => input.updateStateByKey(runningSum, { numPartitions: 0 })).toThrow(/numPartitions/);
  });

  it('compares composite keys by value', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[{ user: string; page: number }, number]>([
      [[{ user: 'u', page: 1 }, 1]],
      [[{ page: 1, user: 'u' }, 1]],
    ]);
    const out = collect(
      input.updateStateByKey<{ user: string; page: number }, number, number>(
        (values, state) => (state ?? 0) + values.length,
      ),
    );
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [1000, [[{ user: 'u', page: 1 }, 1]]],
      [2000, [[{ user: 'u', page: 1 }, 2]]],
    ]);
  });

  it('fails every batch after a failed one, naming the batch that failed', async () => {
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
    const input = ssc.queueStream<[string, number]>([[['a', 1]], [['bad', 1]], [['a', 1]], []]);
    collect(
      input.updateStateByKey<string, number, number>((values, state, key) => {
        if (key === 'bad') throw new Error('bad key');
        return runningSum(values, state, key, 0);
      }),
    );
    ssc.start();
    await runBatches(ssc, clock, 4);
    expect(failures).toHaveLength(3);
    expect(failures[0]).toMatch(/^2000: .*bad key/);
    expect(failures[1]).toMatch(
      /^3000: .*updateStateByKey stream is unknown since its batch at time 2000 failed \(bad key\)/,
    );
    expect(failures[2]).toMatch(/^4000: .*since its batch at time 2000 failed/);
  });

  it('requires a checkpoint directory', () => {
    const { ssc } = manualContext();
    ssc.queueStream<[string, number]>([]).updateStateByKey(runningSum).print();
    expect(() => ssc.start()).toThrow(IllegalArgumentError);
    expect(() => ssc.start()).toThrow(/checkpoint directory has not been set.*updateStateByKey/);
  });

  it('describes itself to the graph', () => {
    const { ssc } = manualContext();
    const states = ssc
      .queueStream<[string, number]>([])
      .updateStateByKey(runningSum, { numPartitions: 4 });
    const computation = states.computation as StatefulComputation<[string, number]>;
    expect(computation.kind).toBe('updateStateByKey');
    expect(computation.requiresCheckpoint).toBe(true);
    expect(computation.shape).toEqual({ numPartitions: 4 });
    expect(states.slideDuration).toBe(1000);
  });
});

describe('updateStateByKey state', () => {
  it('snapshots every key as plain data and continues from a restored snapshot', async () => {
    const first = manualContext();
    first.ssc.checkpoint(CHECKPOINT_DIR);
    const states = first.ssc
      .queueStream<[string, number]>([
        [
          ['a', 1],
          ['b', 2],
        ],
        [['a', 1]],
      ])
      .updateStateByKey(runningSum);
    collect(states);
    const computation = states.computation as StatefulComputation<[string, number]>;
    expect(computation.snapshotState()).toBeUndefined();
    first.ssc.start();
    await runBatches(first.ssc, first.clock, 2);
    const snapshot = JSON.parse(JSON.stringify(computation.snapshotState())) as {
      time: number;
      pairs: [string, number][];
    };
    expect(snapshot.time).toBe(2000);
    expect(snapshot.pairs.sort()).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
    await first.ssc.stop();

    const clock = new ManualClock(2000);
    const ssc = new StreamingContext({ batchInterval: 1000, clock });
    ssc.checkpoint(CHECKPOINT_DIR);
    const resumed = ssc
      .queueStream<[string, number]>([
        [
          ['b', 1],
          ['c', 1],
        ],
      ])
      .updateStateByKey(runningSum);
    const out = collect(resumed);
    (resumed.computation as StatefulComputation<[string, number]>).restoreState(snapshot);
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [
        3000,
        [
          ['a', 2],
          ['b', 3],
          ['c', 1],
        ],
      ],
      [
        4000,
        [
          ['a', 2],
          ['b', 3],
          ['c', 1],
        ],
      ],
    ]);
    expect(() =>
      (resumed.computation as StatefulComputation<unknown>).restoreState({ pairs: 3 }),
    ).toThrow(DStreamError);
  });
});
