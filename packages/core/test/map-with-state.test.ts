import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  Batch,
  ConfigurationError,
  DStream,
  DStreamError,
  IllegalArgumentError,
  ManualClock,
  StateSpec,
  StreamingContext,
  partitionOf,
  type State,
  type StatefulComputation,
} from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

const CHECKPOINT_DIR = '/tmp/dstream-test-map-with-state';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

/** Sums the values of each key and emits `[key, sum]`; a timing-out key emits `[key, 'timed out', sum]`. */
function summing() {
  return StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
    if (state.isTimingOut()) return [key, 'timed out', state.get()] as const;
    const sum = (state.getOption() ?? 0) + (value ?? 0);
    state.update(sum);
    return [key, sum] as const;
  });
}

function failureCollector(ssc: StreamingContext): string[] {
  const failures: string[] = [];
  ssc.addListener({
    onOutputOperationCompleted: ({ outputOperationInfo }) => {
      if (outputOperationInfo.failureReason !== undefined) {
        failures.push(`${outputOperationInfo.batchTime}: ${outputOperationInfo.failureReason}`);
      }
    },
  });
  return failures;
}

describe('mapWithState', () => {
  it('maps every record with the state of its key and snapshots the state after each batch', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 2],
        ['a', 3],
      ],
      [],
      [['b', 1]],
    ]);
    const mapped = input.mapWithState(summing());
    const out = collect(mapped);
    const snapshots = collect(mapped.stateSnapshots());
    ssc.start();
    await runBatches(ssc, clock, 3);
    expect(out).toEqual([
      [
        1000,
        [
          ['a', 1],
          ['a', 4],
          ['b', 2],
        ],
      ],
      [2000, []],
      [3000, [['b', 3]]],
    ]);
    expect(snapshots).toEqual([
      [
        1000,
        [
          ['a', 4],
          ['b', 2],
        ],
      ],
      [
        2000,
        [
          ['a', 4],
          ['b', 2],
        ],
      ],
      [
        3000,
        [
          ['a', 4],
          ['b', 3],
        ],
      ],
    ]);
  });

  it('passes the batch time and the records of a key in arrival order', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, string]>([
      [
        ['k', 'x'],
        ['k', 'y'],
      ],
      [['k', 'z']],
    ]);
    const spec = StateSpec.function(
      (key: string, value: string | undefined, state: State<string[]>, time: number) => {
        const seen = [...(state.getOption() ?? []), `${value}@${time}`];
        state.update(seen);
        return seen.join(',');
      },
    );
    const out = collect(input.mapWithState(spec), false);
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [1000, ['x@1000', 'x@1000,y@1000']],
      [2000, ['x@1000,y@1000,z@2000']],
    ]);
  });

  it('emits nothing for undefined and keeps the state when the function does not update it', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 5],
      ],
      [['a', 2]],
    ]);
    // Keeps the first value of each key; emits only values different from it.
    const spec = StateSpec.function(
      (key: string, value: number | undefined, state: State<number>) => {
        if (!state.exists()) {
          state.update(value as number);
          return undefined;
        }
        return value === state.get() ? undefined : `${key}: ${state.get()} -> ${value}`;
      },
    );
    const mapped = input.mapWithState(spec);
    // The mapped stream's records never include the undefined that emits nothing.
    expectTypeOf(mapped).toEqualTypeOf<
      DStream<string> & { stateSnapshots(): DStream<[string, number]> }
    >();
    expectTypeOf(mapped.stateSnapshots()).toEqualTypeOf<DStream<[string, number]>>();
    const out = collect(mapped);
    const snapshots = collect(mapped.stateSnapshots());
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [1000, []],
      [2000, ['a: 1 -> 2']],
    ]);
    expect(snapshots[1]).toEqual([
      2000,
      [
        ['a', 1],
        ['b', 5],
      ],
    ]);
  });

  it('removes the state of a key on remove()', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    // A negative value ends the key's session and emits its total; removing an absent state is a no-op.
    const spec = StateSpec.function(
      (key: string, value: number | undefined, state: State<number>) => {
        const total = (state.getOption() ?? 0) + Math.max(0, value ?? 0);
        if ((value ?? 0) < 0) {
          state.remove();
          expect(state.exists()).toBe(false);
          expect(state.getOption()).toBeUndefined();
          return [key, 'closed', total] as const;
        }
        state.update(total);
        return undefined;
      },
    );
    const input = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 2],
      ],
      [
        ['a', 4],
        ['a', -1],
        ['c', -1],
      ],
      [['a', 7]],
    ]);
    const mapped = input.mapWithState(spec);
    const out = collect(mapped);
    const snapshots = collect(mapped.stateSnapshots());
    ssc.start();
    await runBatches(ssc, clock, 3);
    expect(out).toEqual([
      [1000, []],
      [
        2000,
        [
          ['a', 'closed', 5],
          ['c', 'closed', 0],
        ],
      ],
      [3000, []],
    ]);
    expect(snapshots).toEqual([
      [
        1000,
        [
          ['a', 1],
          ['b', 2],
        ],
      ],
      [2000, [['b', 2]]],
      [
        3000,
        [
          ['a', 7],
          ['b', 2],
        ],
      ],
    ]);
  });

  it('starts from the initial state', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([[['a', 1]], [['b', 1]]]);
    const mapped = input.mapWithState(
      summing().initialState([
        ['a', 10],
        ['b', 20],
        ['a', 99],
      ]),
    );
    const out = collect(mapped);
    const snapshots = collect(mapped.stateSnapshots());
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [1000, [['a', 11]]],
      [2000, [['b', 21]]],
    ]);
    expect(snapshots).toEqual([
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
          ['b', 21],
        ],
      ],
    ]);
  });

  it('takes the initial state from a batch', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([[['x', 1]]]);
    const mapped = input.mapWithState(
      summing().initialState(
        Batch.of<readonly [string, number]>(
          [
            ['x', 5],
            ['y', 6],
          ],
          2,
        ),
      ),
    );
    const snapshots = collect(mapped.stateSnapshots());
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(snapshots).toEqual([
      [
        1000,
        [
          ['x', 6],
          ['y', 6],
        ],
      ],
    ]);
  });

  it('times out idle keys: one last call with isTimingOut(), then the key is gone', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const calls: Array<[number, string, number | undefined, boolean]> = [];
    const spec = StateSpec.function(
      (key: string, value: number | undefined, state: State<number>, time: number) => {
        calls.push([time, key, value, state.isTimingOut()]);
        if (state.isTimingOut()) return [key, 'timed out', state.get()] as const;
        // A value of 0 touches the key without updating its state: that still restarts its timeout.
        if (value !== 0) state.update((state.getOption() ?? 0) + (value ?? 0));
        return undefined;
      },
    ).timeout(2000);
    const input = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 1],
      ], // 1000
      [['b', 0]], // 2000
      [], // 3000
      [['b', 2]], // 4000: a idle since 1000, longer than 2 s
      [], // 5000
      [], // 6000
      [], // 7000: b idle since 4000
      [['a', 3]], // 8000: a is new again
    ]);
    const mapped = input.mapWithState(spec);
    const out = collect(mapped);
    const snapshots = collect(mapped.stateSnapshots());
    ssc.start();
    await runBatches(ssc, clock, 9);
    expect(out.filter(([, records]) => records.length > 0)).toEqual([
      [4000, [['a', 'timed out', 1]]],
      [7000, [['b', 'timed out', 3]]],
    ]);
    expect(calls.filter(([, , , timingOut]) => timingOut)).toEqual([
      [4000, 'a', undefined, true],
      [7000, 'b', undefined, true],
    ]);
    expect(snapshots).toEqual([
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
          ['a', 1],
          ['b', 1],
        ],
      ],
      [
        3000,
        [
          ['a', 1],
          ['b', 1],
        ],
      ],
      [4000, [['b', 3]]],
      [5000, [['b', 3]]],
      [6000, [['b', 3]]],
      [7000, []],
      [8000, [['a', 3]]],
      [9000, [['a', 3]]],
    ]);
  });

  it('counts the timeout of initial state from the first batch', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([]);
    const mapped = input.mapWithState(
      summing()
        .initialState([['init', 7]])
        .timeout(1000),
    );
    const out = collect(mapped);
    ssc.start();
    await runBatches(ssc, clock, 3);
    expect(out).toEqual([
      [1000, []],
      [2000, []],
      [3000, [['init', 'timed out', 7]]],
    ]);
  });

  it('raises clear errors for misuse of the state', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const errors: Array<[string, string]> = [];
    const attempt = (label: string, action: () => unknown): void => {
      try {
        action();
        errors.push([label, 'no error']);
      } catch (error) {
        expect(error).toBeInstanceOf(DStreamError);
        errors.push([label, (error as DStreamError).code]);
      }
    };
    const spec = StateSpec.function(
      (key: string, value: number | undefined, state: State<number>) => {
        if (state.isTimingOut()) {
          attempt('update while timing out', () => state.update(1));
          attempt('remove while timing out', () => state.remove());
          attempt('get while timing out', () => state.get());
          return undefined;
        }
        if (key === 'absent') {
          attempt('get on absent', () => state.get());
          attempt('update to undefined', () => state.update(undefined as unknown as number));
          return undefined;
        }
        if (key === 'removed') {
          state.update(1);
          state.remove();
          attempt('update after remove', () => state.update(2));
          attempt('remove twice', () => state.remove());
          return undefined;
        }
        state.update(value as number);
        return undefined;
      },
    ).timeout(1000);
    const input = ssc.queueStream<[string, number]>([
      [
        ['absent', 1],
        ['removed', 1],
        ['idle', 1],
      ],
    ]);
    collect(input.mapWithState(spec));
    ssc.start();
    await runBatches(ssc, clock, 3);
    expect(errors).toEqual([
      ['get on absent', 'STATE_NOT_SET'],
      ['update to undefined', 'INVALID_STATE'],
      ['update after remove', 'STATE_REMOVED'],
      ['remove twice', 'STATE_REMOVED'],
      ['update while timing out', 'STATE_TIMING_OUT'],
      ['remove while timing out', 'STATE_TIMING_OUT'],
      ['get while timing out', 'no error'],
    ]);
  });

  it('fails the batch whose function throws, and every later batch, until restarted from a checkpoint', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const failures = failureCollector(ssc);
    const spec = StateSpec.function(
      (key: string, value: number | undefined, state: State<number>) => {
        return state.get() + (value ?? 0); // fails: no state yet
      },
    );
    const input = ssc.queueStream<[string, number]>([[['a', 1]], [['a', 2]]]);
    const mapped = input.mapWithState(spec);
    collect(mapped);
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/^1000: .*State is not set/);
    expect(failures[1]).toMatch(
      /^2000: .*state of the mapWithState stream is unknown since its batch at time 1000 failed \(State is not set/,
    );
    expect(() => (mapped.computation as StatefulComputation<unknown>).snapshotState()).toThrow(
      expect.objectContaining({ code: 'STATE_UNAVAILABLE' }),
    );
  });

  it('partitions the mapped records and the snapshots by key', async () => {
    const { ssc, clock } = manualContext({ defaultParallelism: 3 });
    ssc.checkpoint(CHECKPOINT_DIR);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const input = ssc.queueStream<[string, number]>([keys.map((k): [string, number] => [k, 1])]);
    const layouts: Record<string, unknown[][][]> = {
      fourMapped: [],
      fourSnapshots: [],
      defaultMapped: [],
    };
    const spec = StateSpec.function(
      (key: string, value: number | undefined, state: State<number>) => {
        state.update(value ?? 0);
        return key;
      },
    );
    const four = input.mapWithState(StateSpec.function(spec.mappingFunction).numPartitions(4));
    four.foreachBatch((batch) => void layouts.fourMapped.push(batch.partitions.map((p) => [...p])));
    four
      .stateSnapshots()
      .foreachBatch(
        (batch) => void layouts.fourSnapshots.push(batch.partitions.map((p) => [...p])),
      );
    input
      .mapWithState(spec)
      .foreachBatch(
        (batch) => void layouts.defaultMapped.push(batch.partitions.map((p) => [...p])),
      );
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(layouts.fourMapped[0]).toHaveLength(4);
    layouts.fourMapped[0].forEach((partition, index) => {
      for (const key of partition as string[]) expect(partitionOf(key, 4)).toBe(index);
    });
    expect(layouts.fourSnapshots[0]).toHaveLength(4);
    layouts.fourSnapshots[0].forEach((partition, index) => {
      for (const [key] of partition as [string, number][]) expect(partitionOf(key, 4)).toBe(index);
    });
    expect(layouts.defaultMapped[0]).toHaveLength(3);
    expect(layouts.fourMapped[0].flat().sort()).toEqual(keys);
  });

  it('returns the same snapshot stream every time, and only before the context starts', () => {
    const { ssc } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const mapped = ssc.queueStream<[string, number]>([]).mapWithState(summing());
    const snapshots = mapped.stateSnapshots();
    expect(mapped.stateSnapshots()).toBe(snapshots);
    expect(snapshots.computation.kind).toBe('stateSnapshots');
    expect(snapshots.dependencies).toEqual([mapped]);
    const other = ssc.queueStream<[string, number]>([]).mapWithState(summing());
    other.print();
    ssc.start();
    expect(() => other.stateSnapshots()).toThrow(/after starting a context/);
  });

  it('keeps snapshots of past batches that are asked for after the state moved on', async () => {
    const { ssc, clock } = manualContext();
    ssc.checkpoint(CHECKPOINT_DIR);
    const input = ssc.queueStream<[string, number]>([
      [['a', 1]],
      [
        ['a', 1],
        ['b', 1],
      ],
      [['c', 1]],
      [['a', 1]],
    ]);
    const mapped = input.mapWithState(summing());
    const out = collect(mapped); // computes the state of every batch first
    const windows = collect(mapped.stateSnapshots().window(2000, 2000)); // asks for 1000 and 2000 at 2000
    ssc.start();
    await runBatches(ssc, clock, 4);
    expect(out.map(([time]) => time)).toEqual([1000, 2000, 3000, 4000]);
    expect(windows).toEqual([
      [
        2000,
        [
          ['a', 1],
          ['a', 2],
          ['b', 1],
        ],
      ],
      [
        4000,
        [
          ['a', 2],
          ['a', 3],
          ['b', 1],
          ['b', 1],
          ['c', 1],
          ['c', 1],
        ],
      ],
    ]);
  });

  it('requires a checkpoint directory', () => {
    const { ssc } = manualContext();
    ssc.queueStream<[string, number]>([]).mapWithState(summing()).print();
    expect(() => ssc.start()).toThrow(IllegalArgumentError);
    expect(() => ssc.start()).toThrow(/checkpoint directory has not been set.*mapWithState/);
  });
});

describe('StateSpec', () => {
  it('chains its settings and reads them back', () => {
    const fn = (key: string, value: number | undefined, state: State<number>): number =>
      value ?? state.get();
    const spec = StateSpec.function(fn)
      .numPartitions(3)
      .timeout(5000)
      .initialState(new Map([['a', 1]]));
    expect(spec.mappingFunction).toBe(fn);
    expect(spec.getNumPartitions()).toBe(3);
    expect(spec.getTimeout()).toBe(5000);
    expect(spec.getInitialState()).toEqual([['a', 1]]);
    const plain = StateSpec.function(fn);
    expect(plain.getNumPartitions()).toBeUndefined();
    expect(plain.getTimeout()).toBeUndefined();
    expect(plain.getInitialState()).toBeUndefined();
  });

  it('validates its settings', () => {
    const spec = StateSpec.function((key: string, value: number | undefined) => value);
    expect(() => spec.numPartitions(0)).toThrow(ConfigurationError);
    expect(() => spec.numPartitions(1.5)).toThrow(/Invalid StateSpec numPartitions: 1.5/);
    expect(() => spec.timeout(-1)).toThrow(/Invalid StateSpec timeout: -1/);
    expect(() => spec.timeout(Number.NaN)).toThrow(ConfigurationError);
    expect(() => spec.initialState(42 as unknown as [string, number][])).toThrow(
      /Invalid StateSpec initialState/,
    );
    expect(() => StateSpec.function(undefined as unknown as () => void)).toThrow(
      ConfigurationError,
    );
  });
});

describe('mapWithState state', () => {
  it('snapshots as plain data and continues, timeouts included, from a restored snapshot', async () => {
    const first = manualContext();
    first.ssc.checkpoint(CHECKPOINT_DIR);
    const mapped = first.ssc
      .queueStream<[string, number]>([[['a', 1]], [['b', 2]]])
      .mapWithState(summing().timeout(2000));
    collect(mapped);
    const computation = mapped.computation as StatefulComputation<unknown>;
    expect(computation.kind).toBe('mapWithState');
    expect(computation.requiresCheckpoint).toBe(true);
    expect(computation.shape).toEqual({ numPartitions: 2, timeout: 2000 });
    expect(computation.snapshotState()).toBeUndefined();
    first.ssc.start();
    await runBatches(first.ssc, first.clock, 2);
    const snapshot = JSON.parse(JSON.stringify(computation.snapshotState())) as {
      time: number;
      entries: unknown[];
    };
    expect(snapshot.time).toBe(2000);
    expect(snapshot.entries.sort()).toEqual([
      ['a', 1, 1000],
      ['b', 2, 2000],
    ]);
    await first.ssc.stop();

    const clock = new ManualClock(2000);
    const ssc = new StreamingContext({ batchInterval: 1000, clock });
    ssc.checkpoint(CHECKPOINT_DIR);
    const resumed = ssc
      .queueStream<[string, number]>([[['b', 1]]])
      .mapWithState(summing().timeout(2000));
    const out = collect(resumed);
    const snapshots = collect(resumed.stateSnapshots());
    (resumed.computation as StatefulComputation<unknown>).restoreState(snapshot);
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(out).toEqual([
      [3000, [['b', 3]]],
      [4000, [['a', 'timed out', 1]]],
    ]);
    expect(snapshots).toEqual([
      [
        3000,
        [
          ['a', 1],
          ['b', 3],
        ],
      ],
      [4000, [['b', 3]]],
    ]);
    expect(() =>
      (resumed.computation as StatefulComputation<unknown>).restoreState({
        time: 1,
        entries: [['a', 1]],
      }),
    ).toThrow(/Cannot restore the state of a mapWithState stream/);
  });
});
