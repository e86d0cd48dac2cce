import {
  ManualClock,
  StreamingContext,
  silentLogger,
  type DStream,
  type StreamingContextOptions,
} from '../src/index.js';

/**
 * A context on a manual clock at 0 with a 1 s batch interval, and a way to collect outputs. Its
 * logger is silent unless `options.logger` says otherwise: tests that fail batches on purpose
 * would otherwise fill the output with expected errors.
 */
export function manualContext(options: Partial<StreamingContextOptions> = {}): {
  ssc: StreamingContext;
  clock: ManualClock;
} {
  const clock = new ManualClock();
  const ssc = new StreamingContext({
    batchInterval: 1000,
    clock,
    logger: silentLogger,
    ...options,
  });
  return { ssc, clock };
}

/** Collects every batch of `stream` as `[time, records]`, records sorted for stable comparison. */
export function collect<T>(stream: DStream<T>, sort = true): Array<[number, T[]]> {
  const out: Array<[number, T[]]> = [];
  stream.foreachBatch((batch, time) => {
    const records = batch.collect();
    out.push([time, sort ? sortRecords(records) : records]);
  });
  return out;
}

/** Records sorted by their JSON form: partitioning decides order, the specification does not. */
export function sortRecords<T>(records: T[]): T[] {
  return [...records].sort((a, b) => {
    const ja = JSON.stringify(a);
    const jb = JSON.stringify(b);
    return ja < jb ? -1 : ja > jb ? 1 : 0;
  });
}

/** Advances the clock by `batches` batch intervals and waits until those batches completed. */
export async function runBatches(
  ssc: StreamingContext,
  clock: ManualClock,
  batches: number,
): Promise<void> {
  for (let i = 0; i < batches; i++) {
    clock.advance(ssc.batchInterval);
    await ssc.awaitIdle();
  }
}
