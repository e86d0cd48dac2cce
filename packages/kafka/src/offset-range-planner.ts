import { maxMessagesPerPartition } from '@dstream/core';

/** One partition as the planner sees it: where the stream is and where the log ends. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the stream will read. */
  readonly from: bigint;
  /** The partition's latest offset (high watermark) at batch time. */
  readonly latest: bigint;
}

/** Limits on how much one batch may take. */
export interface RateLimits {
  /** Records per second per partition, at most (Spark's `maxRatePerPartition`). */
  readonly maxRatePerPartition?: number;
  /** The stream's rate from backpressure, in records per second over all partitions. */
  readonly estimatedRate?: number;
  /** The batch interval in milliseconds. */
  readonly batchInterval: number;
}

/** A planned range: `[from, until)`. */
export interface PlannedRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly until: bigint;
}

/**
 * Decides each partition's range for one batch, as Spark's direct stream does: everything up to
 * the latest offset, or at most the engine's `maxMessagesPerPartition` (the backpressure rate
 * spread over partitions in proportion to their lag, each capped by `maxRatePerPartition`, at
 * least one record per partition with lag, so none stalls).
 */
export function planOffsetRanges(
  partitions: readonly PartitionPosition[],
  limits: RateLimits,
): PlannedRange[] {
  const lags = new Map<number, number>();
  partitions.forEach((p, index) =>
    lags.set(index, p.latest > p.from ? Number(p.latest - p.from) : 0),
  );
  const allowed = maxMessagesPerPartition({
    lagPerPartition: lags,
    estimatedRate: limits.estimatedRate,
    maxRatePerPartition: limits.maxRatePerPartition,
    batchInterval: limits.batchInterval,
  });
  return partitions.map((p, index) => {
    if (p.latest <= p.from)
      return { topic: p.topic, partition: p.partition, from: p.from, until: p.from };
    const cap = allowed?.get(index);
    if (cap === undefined)
      return { topic: p.topic, partition: p.partition, from: p.from, until: p.latest };
    const take = BigInt(cap);
    const lag = p.latest - p.from;
    return {
      topic: p.topic,
      partition: p.partition,
      from: p.from,
      until: p.from + (lag < take ? lag : take),
    };
  });
}
