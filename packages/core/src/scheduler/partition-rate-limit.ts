import { IllegalArgumentError } from '../dstream/illegal-argument-error.js';
import { ConfigurationError } from '../util/errors.js';
import { requirePositiveInteger } from '../util/validation.js';

/** What {@link maxMessagesPerPartition} needs to know about one batch of a direct stream. */
export interface PartitionRateLimitInput<P> {
  /**
   * Records waiting in each partition: latest available offset minus the next offset to read.
   * Negative lags count as zero.
   */
  readonly lagPerPartition: ReadonlyMap<P, number>;
  /**
   * The stream's rate from backpressure, in records per second over all partitions: the
   * rate controller's latest estimate, or the initial rate before the first one. Left out, zero
   * or below, or infinite: no estimate.
   */
  readonly estimatedRate?: number;
  /**
   * The most records per second read from any one partition (Spark's
   * `spark.streaming.kafka.maxRatePerPartition`). Left out or `Infinity`: no cap.
   */
  readonly maxRatePerPartition?: number;
  /** The batch interval, in milliseconds. */
  readonly batchInterval: number;
  /**
   * The fewest records a limited partition may read per batch (Spark's
   * `spark.streaming.kafka.minRatePerPartition`; default 1), so no partition ever stalls.
   */
  readonly minRatePerPartition?: number;
}

/**
 * The most records each partition of a direct stream (such as the Kafka direct stream) may
 * contribute to the next batch, or `undefined` when nothing limits it: Spark's
 * `DirectKafkaInputDStream.maxMessagesPerPartition`.
 *
 * With an estimated rate, the rate is spread over partitions in proportion to their lag
 * (`lag / totalLag × rate`), each share capped by `maxRatePerPartition`; without one,
 * `maxRatePerPartition` alone applies to every partition. When the per-partition rates add up to
 * more than zero, each becomes `max(floor(rate × batchSeconds), minRatePerPartition)` messages;
 * otherwise (no estimate and no cap, or no lag at all) the result is `undefined`.
 *
 * @example
 * ```ts
 * maxMessagesPerPartition({
 *   lagPerPartition: new Map([['orders-0', 300], ['orders-1', 100]]),
 *   estimatedRate: 200,
 *   batchInterval: 2000,
 * }); // Map { 'orders-0' => 300, 'orders-1' => 100 }
 * ```
 *
 * @throws ConfigurationError naming `batchInterval`, `maxRatePerPartition` or
 *   `minRatePerPartition` when one is invalid.
 * @throws IllegalArgumentError when a lag is not a finite number.
 */
export function maxMessagesPerPartition<P>(
  input: PartitionRateLimitInput<P>,
): Map<P, number> | undefined {
  const { lagPerPartition, estimatedRate, maxRatePerPartition, batchInterval } = input;
  if (typeof batchInterval !== 'number' || !Number.isFinite(batchInterval) || batchInterval <= 0) {
    throw new ConfigurationError(
      'batchInterval',
      batchInterval,
      'expected a positive number of milliseconds',
    );
  }
  if (
    maxRatePerPartition !== undefined &&
    (typeof maxRatePerPartition !== 'number' ||
      Number.isNaN(maxRatePerPartition) ||
      maxRatePerPartition <= 0)
  ) {
    throw new ConfigurationError(
      'maxRatePerPartition',
      maxRatePerPartition,
      'expected a positive number of records per second or Infinity',
    );
  }
  const minRatePerPartition = requirePositiveInteger(
    'minRatePerPartition',
    input.minRatePerPartition ?? 1,
  );
  const cap = maxRatePerPartition ?? Infinity;

  const ratePerPartition = new Map<P, number>();
  const rate =
    estimatedRate !== undefined && estimatedRate > 0 && Number.isFinite(estimatedRate)
      ? estimatedRate
      : undefined;
  if (rate !== undefined) {
    const lags = new Map<P, number>();
    let totalLag = 0;
    for (const [partition, lag] of lagPerPartition) {
      if (typeof lag !== 'number' || !Number.isFinite(lag)) {
        throw new IllegalArgumentError(
          `The lag of partition ${String(partition)} must be a finite number; got ${String(lag)}`,
        );
      }
      const clamped = Math.max(lag, 0);
      lags.set(partition, clamped);
      totalLag += clamped;
    }
    for (const [partition, lag] of lags) {
      const backpressureRate = totalLag > 0 ? (lag / totalLag) * rate : 0;
      ratePerPartition.set(partition, Math.min(backpressureRate, cap));
    }
  } else {
    if (!Number.isFinite(cap)) return undefined;
    for (const partition of lagPerPartition.keys()) ratePerPartition.set(partition, cap);
  }

  let total = 0;
  for (const limit of ratePerPartition.values()) total += limit;
  if (!(total > 0)) return undefined;

  const batchSeconds = batchInterval / 1000;
  const messages = new Map<P, number>();
  for (const [partition, limit] of ratePerPartition) {
    messages.set(partition, Math.max(Math.floor(batchSeconds * limit), minRatePerPartition));
  }
  return messages;
}
