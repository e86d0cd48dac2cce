import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  StateSpec,
  StreamingContext,
  type State,
  type StreamingContextOptions,
} from '@dstream/core';
import type { Benchmark, BenchmarkResult, ResultRow } from './benchmark.js';
import { GeneratedLoadReceiver } from './generated-load-receiver.js';
import { median, round, sleep, ThroughputMeter } from './measure.js';
import { generateLines } from './word-count-throughput.js';

const BATCH_INTERVAL = 500;
const BLOCK_INTERVAL = 100;
/** Distinct keys of the stateful pipeline: every checkpoint holds this many states. */
export const STATEFUL_KEYS = 100_000;

/** One configuration of the reliability benchmark. */
export interface ReliabilityCase {
  readonly label: string;
  /** `wordCount`: lines → words → counts per batch; `runningCount`: events → count per key with mapWithState. */
  readonly pipeline: 'wordCount' | 'runningCount';
  /** A checkpoint directory is set whenever this is: checkpoints every this many batches. */
  readonly checkpointEveryBatches?: number;
  readonly writeAheadLog?: boolean;
}

const LINES = generateLines(4096);

/**
 * Runs `pipeline` on the system clock with a receiver storing as fast as the engine takes
 * records (at most two batches' worth at 1M records/s in flight), and returns the input records
 * per second of the batches completed in the measured window.
 */
export async function measureReliabilityCase(
  testCase: ReliabilityCase,
  timing: { readonly warmupMs: number; readonly measureMs: number },
): Promise<{ readonly rate: number; readonly ratePerCpuSecond: number }> {
  const directory =
    testCase.checkpointEveryBatches === undefined
      ? undefined
      : mkdtempSync(join(tmpdir(), 'dstream-bench-reliability-'));
  const meter = new ThroughputMeter();
  const options: StreamingContextOptions = {
    batchInterval: BATCH_INTERVAL,
    blockInterval: BLOCK_INTERVAL,
    ...(directory === undefined
      ? {}
      : {
          checkpointDir: directory,
          checkpointInterval: (testCase.checkpointEveryBatches ?? 1) * BATCH_INTERVAL,
          writeAheadLog: testCase.writeAheadLog ?? false,
        }),
  };
  const ssc = new StreamingContext(options);
  const pace = {
    kind: 'saturating' as const,
    maxInFlight: 2 * BATCH_INTERVAL * 1000,
    outstanding: (stored: number) => stored - meter.total,
  };
  if (testCase.pipeline === 'wordCount') {
    const receiver = new GeneratedLoadReceiver<string>(pace, (sequence) => LINES[sequence & 4095]);
    ssc
      .receiverStream(receiver)
      .flatMap((line) => line.split(' '))
      .map((word): [string, number] => [word, 1])
      .reduceByKey((a, b) => a + b)
      .foreachBatch((batch) => void batch.count());
  } else {
    const receiver = new GeneratedLoadReceiver<string>(
      pace,
      (sequence) => `user${sequence % STATEFUL_KEYS}`,
    );
    const spec = StateSpec.function(
      (_user: string, one: number | undefined, state: State<number>) => {
        const count = (state.getOption() ?? 0) + (one ?? 0);
        state.update(count);
        return count;
      },
    );
    ssc
      .receiverStream(receiver)
      .map((user): [string, number] => [user, 1])
      .mapWithState(spec)
      .foreachBatch((batch) => void batch.count());
  }
  ssc.addListener({
    onBatchCompleted: ({ batchInfo }) => meter.count(batchInfo.numRecords),
  });
  ssc.start();
  try {
    await sleep(timing.warmupMs);
    meter.startWindow();
    await sleep(timing.measureMs);
    meter.endWindow();
  } finally {
    await ssc.stop();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  }
  return { rate: meter.rate, ratePerCpuSecond: meter.ratePerCpuSecond };
}

const CASES: readonly ReliabilityCase[] = [
  { label: 'word count, no write-ahead log', pipeline: 'wordCount', checkpointEveryBatches: 10 },
  {
    label: 'word count, write-ahead log',
    pipeline: 'wordCount',
    checkpointEveryBatches: 10,
    writeAheadLog: true,
  },
  {
    label: 'running count, no checkpoint during the run',
    pipeline: 'runningCount',
    checkpointEveryBatches: 1_000_000,
  },
  {
    label: 'running count, checkpoint every 10 batches',
    pipeline: 'runningCount',
    checkpointEveryBatches: 10,
  },
  {
    label: 'running count, checkpoint every batch',
    pipeline: 'runningCount',
    checkpointEveryBatches: 1,
  },
];

/** Goal: the write-ahead log costs at most this share of throughput. */
const WAL_COST_GOAL = 0.3;

/** Benchmark 5: throughput with and without the write-ahead log, and with checkpoints every batch or every 10. */
export const reliabilityCost: Benchmark = {
  name: 'reliability',
  description:
    'throughput with and without the write-ahead log, and with checkpoints every batch vs every 10 batches',
  async run({ quick }): Promise<BenchmarkResult> {
    const repetitions = quick ? 1 : 5;
    const timing = quick
      ? { warmupMs: 1500, measureMs: 3000 }
      : { warmupMs: 2000, measureMs: 8000 };
    const runs = new Map<string, { rate: number; ratePerCpuSecond: number }[]>(
      CASES.map((testCase) => [testCase.label, []]),
    );
    // Round robin, so that every case sees the same machine conditions.
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const testCase of CASES)
        runs.get(testCase.label)!.push(await measureReliabilityCase(testCase, timing));
    }
    const rateOf = (label: string): number => median(runs.get(label)!.map((run) => run.rate));
    const cpuRateOf = (label: string): number =>
      median(runs.get(label)!.map((run) => run.ratePerCpuSecond));
    const baselineOf = (testCase: ReliabilityCase): string =>
      testCase.pipeline === 'wordCount' ? CASES[0].label : CASES[2].label;
    const rows: ResultRow[] = CASES.map((testCase) => ({
      pipeline: testCase.label,
      'records/s (median)': Math.round(rateOf(testCase.label)),
      'vs baseline': round(rateOf(testCase.label) / rateOf(baselineOf(testCase)), 2),
      'runs (records/s)': runs
        .get(testCase.label)!
        .map((run) => Math.round(run.rate))
        .join(', '),
      'records per CPU-second (median)': Math.round(cpuRateOf(testCase.label)),
      'per CPU-second vs baseline': round(
        cpuRateOf(testCase.label) / cpuRateOf(baselineOf(testCase)),
        2,
      ),
    }));
    const walRatio = rateOf(CASES[1].label) / rateOf(CASES[0].label);
    const checkpointRatio = rateOf(CASES[4].label) / rateOf(CASES[3].label);
    return {
      name: this.name,
      title: 'Reliability cost: write-ahead log and checkpoint interval',
      rows,
      goals: [
        {
          description: `write-ahead log costing at most ${WAL_COST_GOAL * 100}% of throughput (it costs ${round((1 - walRatio) * 100)}%)`,
          met: walRatio >= 1 - WAL_COST_GOAL,
        },
      ],
      notes: [
        `Batch interval ${BATCH_INTERVAL} ms, block interval ${BLOCK_INTERVAL} ms, a receiver storing as fast as the engine takes records (at most two batch intervals at 1M records/s stored and not yet processed); records/s are input records of the batches completed in the measured window, median of ${repetitions} round-robin runs. Records per CPU-second divide by the CPU time of the process (all threads) instead of wall time: steadier when other work shares the machine, blind to time spent waiting for the disk.`,
        'Word count: lines of ten words, split, counted per word per batch; both rows have a checkpoint directory with a checkpoint every 10 batches, so only the write-ahead log differs (fsync of every write, the default).',
        `Running count: events for ${STATEFUL_KEYS} users counted per user with mapWithState; every checkpoint holds ${STATEFUL_KEYS} states. Checkpoint every batch vs every 10 batches: ${round(checkpointRatio, 2)}.`,
      ],
    };
  },
};
