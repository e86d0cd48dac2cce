import { performance } from 'node:perf_hooks';
import { StreamingContext, type DStream } from '@dstream/core';
import {
  GeneratedLoadReceiver,
  stampedRecords,
  type LoadPace,
  type Stamped,
} from './generated-load-receiver.js';
import { Samples, sleep, ThroughputMeter, waitUntil } from './measure.js';
import { generateLines } from './word-count-throughput.js';

/**
 * What the pipeline does to each line between the receiver and the output:
 * - `project`: takes the line's length and keeps non-empty lines (a field and a filter);
 * - `parse`: splits the line into its words and keeps lines with words (ten strings per record).
 */
export type PipelineWork = 'project' | 'parse';

/** Settings of one run of the receiver pipeline. */
export interface ReceiverPipelineRun {
  readonly batchInterval: number;
  readonly blockInterval: number;
  readonly work: PipelineWork;
  /**
   * `saturating`: as fast as the engine takes records; a rate: that many records per second.
   */
  readonly pace: 'saturating' | { readonly recordsPerSecond: number };
  /** The context's `maxBufferedRecords` (records per block interval before store() asks to pause). */
  readonly maxBufferedRecords?: number;
  /** Saturating pace: records stored and not yet output at most (default: three batch intervals at 1M records/s). */
  readonly maxInFlight?: number;
  /** Milliseconds before measuring starts. */
  readonly warmupMs: number;
  /** Milliseconds measured. */
  readonly measureMs: number;
}

/** What one run measured. */
export interface ReceiverPipelineMeasurement {
  /** Records output per second in the measured window. */
  readonly outputRate: number;
  /** Share of the measured window the event loop was busy (0–1). */
  readonly busy: number;
  /**
   * Records output per second of busy event loop: what the pipeline, receiver included, does in
   * a second when it has the thread to itself. Idle time and time lost waiting do not count.
   */
  readonly capacity: number;
  /** Arrival-to-output latencies (ms) of the records that arrived in the measured window. */
  readonly latencies: Samples;
  /** Processing time (ms) of the batches completed in the measured window. */
  readonly processing: Samples;
  /** Scheduling delay (ms) of the batches completed in the measured window. */
  readonly scheduling: Samples;
}

interface Measured {
  readonly size: number;
  readonly arrivedAt: number;
}

const LINES = generateLines(4096);

function applyWork(lines: DStream<Stamped<string>>, work: PipelineWork): DStream<Measured> {
  if (work === 'project') {
    return lines
      .map((record) => ({ size: record.value.length, arrivedAt: record.arrivedAt }))
      .filter((record) => record.size > 0);
  }
  return lines
    .map((record) => ({ size: record.value.split(' ').length, arrivedAt: record.arrivedAt }))
    .filter((record) => record.size > 0);
}

/**
 * Runs a receiver pipeline on the system clock: a {@link GeneratedLoadReceiver} producing lines
 * of ten words stamped with their arrival time, the pipeline's `work`, then an output operation
 * that takes the batch's records and measures, for each, the time from its arrival at the
 * receiver to now. Records that arrived in the measured window are measured; the run goes on
 * until all of them were output.
 */
export async function runReceiverPipeline(
  run: ReceiverPipelineRun,
): Promise<ReceiverPipelineMeasurement> {
  const meter = new ThroughputMeter();
  const latencies = new Samples(1 << 20);
  const processing = new Samples(1024);
  const scheduling = new Samples(1024);
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let lastArrivalOutput = -Infinity;
  let measuringBatches = false;

  const pace: LoadPace =
    run.pace === 'saturating'
      ? {
          kind: 'saturating',
          maxInFlight: run.maxInFlight ?? Math.max(50_000, 3 * run.batchInterval * 1000),
          outstanding: (stored) => stored - meter.total,
        }
      : { kind: 'fixed', recordsPerSecond: run.pace.recordsPerSecond };
  const receiver = new GeneratedLoadReceiver<Stamped<string>>(
    pace,
    stampedRecords((sequence) => LINES[sequence & 4095]),
  );

  const ssc = new StreamingContext({
    batchInterval: run.batchInterval,
    blockInterval: run.blockInterval,
    maxBufferedRecords: run.maxBufferedRecords,
  });
  applyWork(ssc.receiverStream(receiver), run.work).foreachBatch((batch) => {
    const records = batch.collect();
    const now = performance.now();
    for (let i = 0; i < records.length; i++) {
      const arrivedAt = records[i].arrivedAt;
      if (arrivedAt >= windowStart && arrivedAt <= windowEnd) latencies.add(now - arrivedAt);
      if (arrivedAt > lastArrivalOutput) lastArrivalOutput = arrivedAt;
    }
    meter.count(records.length);
  });
  ssc.addListener({
    onBatchCompleted({ batchInfo }) {
      if (!measuringBatches) return;
      processing.add(batchInfo.processingDelay ?? NaN);
      scheduling.add(batchInfo.schedulingDelay ?? NaN);
    },
  });
  ssc.start();
  let busy: number;
  try {
    await sleep(run.warmupMs);
    const loopBefore = performance.eventLoopUtilization();
    windowStart = performance.now();
    meter.startWindow();
    measuringBatches = true;
    await sleep(run.measureMs);
    meter.endWindow();
    measuringBatches = false;
    windowEnd = performance.now();
    busy = performance.eventLoopUtilization(loopBefore).utilization;
    await waitUntil(
      () => lastArrivalOutput > windowEnd,
      20 * run.batchInterval + 10_000,
      'the last records of the window to be output',
    );
  } finally {
    await ssc.stop();
  }
  return {
    outputRate: meter.rate,
    busy,
    capacity: meter.rate / busy,
    latencies,
    processing,
    scheduling,
  };
}
