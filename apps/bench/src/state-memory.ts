import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, StateSpec, StreamingContext, type DStream, type State } from '@dstream/core';
import type { Benchmark, BenchmarkResult, ResultRow } from './benchmark.js';
import { canCollectGarbage, heapUsedAfterGc, median, round } from './measure.js';

/** The two keyed-state operations measured. */
export type StateOperation = 'mapWithState' | 'updateStateByKey';

/** What {@link measureKeyedState} measured. */
export interface KeyedStateMeasurement {
  /** Heap bytes per key once the state is built and the batches that built it are gone. */
  readonly bytesPerKey: number;
  /** Milliseconds of the batch that creates every key. */
  readonly buildMs: number;
  /** Median milliseconds of a batch whose records touch 1% of the keys. */
  readonly touchMs: number;
  /** Keys in the state, as the output operation counted them. */
  readonly keysCounted: number;
}

const BATCH_INTERVAL = 1000;
/** A realistic epoch start, so that batch times are the large numbers they are in production. */
const START_TIME = 1_700_000_000_000;
/** Empty batches after the build batch, so that the batches it produced are forgotten. */
const SETTLING_BATCHES = 3;

/** The key of index `i`: a small string key. */
export function keyOf(i: number): string {
  return `k${i}`;
}

/**
 * Builds a keyed running count over `keys` small string keys with `operation` (one batch that
 * creates every key), measures the heap it holds, then times batches that each touch 1% of the
 * keys. Runs on a manual clock; no checkpoint is written during the measurement.
 */
export async function measureKeyedState(
  operation: StateOperation,
  keys: number,
  touchRuns: { readonly warmup: number; readonly runs: number },
): Promise<KeyedStateMeasurement> {
  const directory = mkdtempSync(join(tmpdir(), 'dstream-bench-state-'));
  const baseline = await heapUsedAfterGc();
  const clock = new ManualClock(START_TIME);
  const ssc = new StreamingContext({
    batchInterval: BATCH_INTERVAL,
    clock,
    checkpointDir: directory,
    // No checkpoint falls within the run: it would add its serialization to the timed batches.
    checkpointInterval: 1_000_000 * BATCH_INTERVAL,
  });
  const queue: (readonly (readonly [string, number])[])[] = [];
  const pairs = ssc.queueStream(queue);
  let lastCount = 0;
  let stream: DStream<unknown>;
  if (operation === 'mapWithState') {
    const spec = StateSpec.function(
      (_key: string, value: number | undefined, state: State<number>): number => {
        const sum = (value ?? 0) + (state.getOption() ?? 0);
        state.update(sum);
        return sum;
      },
    );
    stream = pairs.mapWithState(spec);
  } else {
    stream = pairs.updateStateByKey((values: number[], state: number | undefined) => {
      let sum = state ?? 0;
      for (let i = 0; i < values.length; i++) sum += values[i];
      return sum;
    });
  }
  stream.foreachBatch((batch) => {
    lastCount = batch.count();
  });

  const runBatch = async (
    records: readonly (readonly [string, number])[] | undefined,
  ): Promise<number> => {
    if (records !== undefined) queue.push(records);
    const started = performance.now();
    clock.advance(BATCH_INTERVAL);
    await ssc.awaitIdle();
    return performance.now() - started;
  };

  ssc.start();
  try {
    const buildMs = await runBatch(buildRecords(keys));
    // mapWithState emits one value per record; updateStateByKey every key's state.
    const keysCounted = lastCount;
    for (let i = 0; i < SETTLING_BATCHES; i++) await runBatch(undefined);
    const bytesPerKey = ((await heapUsedAfterGc()) - baseline) / keys;
    const durations: number[] = [];
    for (let run = 0; run < touchRuns.warmup + touchRuns.runs; run++) {
      const ms = await runBatch(touchRecords(keys, run));
      if (run >= touchRuns.warmup) durations.push(ms);
    }
    return { bytesPerKey, buildMs, touchMs: median(durations), keysCounted };
  } finally {
    await ssc.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** One record `[key, 1]` for each of `keys` keys. */
function buildRecords(keys: number): [string, number][] {
  const records = new Array<[string, number]>(keys);
  for (let i = 0; i < keys; i++) records[i] = [keyOf(i), 1];
  return records;
}

/** One record for 1% of the keys, spread over the whole key space; another 1% on each run. */
function touchRecords(keys: number, run: number): [string, number][] {
  const records: [string, number][] = [];
  for (let i = run % 100; i < keys; i += 100) records.push([keyOf(i), 1]);
  return records;
}

/** Goal: at most this many bytes of state per small key. */
const BYTES_PER_KEY_GOAL = 200;

/** Benchmark 4: memory per key of mapWithState and updateStateByKey, and a batch touching 1%. */
export const stateMemory: Benchmark = {
  name: 'state',
  description:
    'memory per key of mapWithState and updateStateByKey, and a batch touching 1% of keys',
  async run({ quick }): Promise<BenchmarkResult> {
    const sizes = quick ? [100_000] : [100_000, 1_000_000];
    const touchRuns = quick ? { warmup: 1, runs: 3 } : { warmup: 2, runs: 7 };
    const rows: ResultRow[] = [];
    let worst = 0;
    for (const keys of sizes) {
      for (const operation of ['mapWithState', 'updateStateByKey'] as const) {
        const measured = await measureKeyedState(operation, keys, touchRuns);
        if (measured.keysCounted !== keys) {
          throw new Error(`${operation} counted ${measured.keysCounted} keys instead of ${keys}`);
        }
        worst = Math.max(worst, measured.bytesPerKey);
        rows.push({
          operation,
          keys,
          'bytes/key': round(measured.bytesPerKey),
          'state (MiB)': round((measured.bytesPerKey * keys) / 2 ** 20, 1),
          'build batch (ms)': round(measured.buildMs),
          'batch touching 1% (ms)': round(measured.touchMs, 1),
        });
      }
    }
    return {
      name: this.name,
      title: 'State: memory per key and the cost of a batch touching 1% of keys',
      rows,
      goals: [
        {
          description: `at most ${BYTES_PER_KEY_GOAL} bytes of state per small key (worst ${round(worst)})`,
          met: canCollectGarbage() && worst <= BYTES_PER_KEY_GOAL,
        },
      ],
      notes: [
        'Keys are strings k0…k999999 (2–7 characters), states are numbers: a running count per key. One batch creates every key; three empty batches follow so that the batches that built the state are forgotten.',
        'Bytes per key: heap used after global.gc() minus the heap used before the context was created, over the number of keys. It counts the keys themselves and everything the engine keeps per key.',
        `Batch touching 1%: one record for every hundredth key (another hundredth each run), manual clock, median of the measured runs; no checkpoint is written in the run. updateStateByKey calls its function for every key every batch, as in Spark; mapWithState only for the keys of the batch.`,
      ],
    };
  },
};
