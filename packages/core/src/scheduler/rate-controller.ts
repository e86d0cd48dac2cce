import type { BatchInfo } from '../listener/batch-info.js';
import { ConfigurationError, DStreamError } from '../util/errors.js';
import { PidRateEstimator, type PidRateEstimatorOptions } from './pid-rate-estimator.js';

/** Receives a stream's new rate limit, in records per second. */
export type RatePublisher = (streamId: number, rate: number) => void;

/** One input stream under rate control. */
export interface RateControlledStream {
  /** The input stream's id. */
  readonly streamId: number;
  /**
   * The most records per second the stream may ever ingest (its receiver's `maxRate`); no
   * published rate exceeds it (default `Infinity`: no cap).
   */
  readonly maxRate?: number;
}

/** Settings of a {@link RateController}. */
export interface RateControllerOptions {
  /** The context's batch interval, in milliseconds. */
  readonly batchInterval: number;
  /** The input streams to control; one rate estimator each. */
  readonly streams: readonly RateControlledStream[];
  /** Called with each stream's new rate: the receiver's `setRateLimit`, a source's `onRateUpdate`. */
  readonly publish: RatePublisher;
  /**
   * Records per second streams start with before the first estimate (Spark's
   * `spark.streaming.backpressure.initialRate`); capped by each stream's `maxRate`. Default: none,
   * streams start at their `maxRate`.
   */
  readonly initialRate?: number;
  /** PID gains and rate floor; Spark's defaults when left out. */
  readonly pid?: PidRateEstimatorOptions;
}

interface ControlledStream {
  readonly maxRate: number;
  readonly estimator: PidRateEstimator;
  latestRate: number | undefined;
}

/**
 * Backpressure: keeps one {@link PidRateEstimator} per input stream, feeds it every completed
 * batch (records of that stream, processing delay, scheduling delay, at the batch's processing
 * end time) and publishes each new estimate, capped by the stream's `maxRate`, through
 * `publish`. Spark's `RateController`, called directly from the context's batch-completion
 * handler rather than through the listener bus, so rates change in batch order.
 *
 * Before the first estimate a stream runs at `initialRate` (capped by its `maxRate`) when one is
 * given, else at its `maxRate`. Estimates are kept as fractional records per second (Spark
 * truncates them to whole numbers).
 *
 * @example
 * ```ts
 * const controller = new RateController({
 *   batchInterval: 1000,
 *   streams: [{ streamId: 0, maxRate: 10_000 }],
 *   initialRate: 1_000,
 *   publish: (streamId, rate) => receiverTracker.supervisorOf(streamId)?.setRateLimit(rate),
 * });
 * controller.start(); // publishes 1 000 for stream 0
 * // on every completed batch:
 * controller.onBatchCompleted(batchInfo);
 * ```
 */
export class RateController {
  private readonly streams = new Map<number, ControlledStream>();
  private readonly publish: RatePublisher;
  private readonly initialRate: number | undefined;

  /** @throws ConfigurationError naming `batchInterval`, `initialRate`, `streamId`, `maxRate`, `publish` or a PID option. */
  constructor(options: RateControllerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new ConfigurationError(
        'options',
        options,
        'expected an object with batchInterval, streams and publish',
      );
    }
    if (
      typeof options.batchInterval !== 'number' ||
      !Number.isFinite(options.batchInterval) ||
      options.batchInterval <= 0
    ) {
      throw new ConfigurationError(
        'batchInterval',
        options.batchInterval,
        'expected a positive number of milliseconds',
      );
    }
    if (typeof options.publish !== 'function') {
      throw new ConfigurationError(
        'publish',
        options.publish,
        'expected a function (streamId, rate) => void',
      );
    }
    if (
      options.initialRate !== undefined &&
      (typeof options.initialRate !== 'number' ||
        !Number.isFinite(options.initialRate) ||
        options.initialRate <= 0)
    ) {
      throw new ConfigurationError(
        'initialRate',
        options.initialRate,
        'expected a positive number of records per second',
      );
    }
    if (!Array.isArray(options.streams)) {
      throw new ConfigurationError(
        'streams',
        options.streams,
        'expected an array of { streamId, maxRate? }',
      );
    }
    this.publish = options.publish;
    this.initialRate = options.initialRate;
    for (const stream of options.streams) {
      const { streamId } = stream;
      const maxRate = stream.maxRate ?? Infinity;
      if (typeof streamId !== 'number' || !Number.isInteger(streamId) || streamId < 0) {
        throw new ConfigurationError(
          'streamId',
          streamId,
          'expected a whole number of zero or more',
        );
      }
      if (this.streams.has(streamId)) {
        throw new ConfigurationError('streamId', streamId, 'each stream may be controlled once');
      }
      if (typeof maxRate !== 'number' || Number.isNaN(maxRate) || maxRate <= 0) {
        throw new ConfigurationError(
          'maxRate',
          maxRate,
          `expected a positive number of records per second or Infinity (stream ${streamId})`,
        );
      }
      this.streams.set(streamId, {
        maxRate,
        estimator: new PidRateEstimator(options.batchInterval, options.pid),
        latestRate: undefined,
      });
    }
  }

  /** The ids of the controlled streams, in the order given. */
  get streamIds(): readonly number[] {
    return [...this.streams.keys()];
  }

  /**
   * The rate a stream starts with: `initialRate` capped by the stream's `maxRate`, or
   * `undefined` when no initial rate is set (the stream starts at its `maxRate`) or the stream is
   * not controlled.
   */
  initialRateOf(streamId: number): number | undefined {
    const stream = this.streams.get(streamId);
    if (stream === undefined || this.initialRate === undefined) return undefined;
    return Math.min(this.initialRate, stream.maxRate);
  }

  /**
   * The rate a stream should ingest at now: the last estimate published (capped), else its
   * initial rate; `undefined` when neither exists (no limit from backpressure yet) or the
   * stream is not controlled. What the Kafka direct stream spreads over its partitions.
   */
  latestRate(streamId: number): number | undefined {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return undefined;
    return stream.latestRate ?? this.initialRateOf(streamId);
  }

  /**
   * Publishes every stream's initial rate, when `initialRate` is set; call once when the
   * context starts. Does nothing without an initial rate.
   *
   * @throws the error `publish` threw; with several, a `DStreamError` (code
   *   `RATE_UPDATE_FAILED`) whose cause is an `AggregateError` of them. Every stream is published to first.
   */
  start(): void {
    const errors: unknown[] = [];
    for (const streamId of this.streams.keys()) {
      const rate = this.initialRateOf(streamId);
      if (rate !== undefined) this.publishSafely(streamId, rate, errors);
    }
    throwCollected(errors);
  }

  /**
   * Feeds a completed batch to the estimator of every controlled stream that took part in it,
   * and publishes each new estimate capped by the stream's `maxRate`. Batches without a
   * processing end time, processing delay or scheduling delay are ignored, as are streams absent
   * from the batch's inputs.
   *
   * @throws the error `publish` threw; with several, a `DStreamError` (code
   *   `RATE_UPDATE_FAILED`) whose cause is an `AggregateError` of them. Every stream is updated first.
   */
  onBatchCompleted(batchInfo: BatchInfo): void {
    const { processingEndTime, processingDelay, schedulingDelay, streamIdToInputInfo } = batchInfo;
    if (
      processingEndTime === undefined ||
      processingDelay === undefined ||
      schedulingDelay === undefined
    )
      return;
    const errors: unknown[] = [];
    for (const [streamId, stream] of this.streams) {
      const input = streamIdToInputInfo.get(streamId);
      if (input === undefined) continue;
      const estimate = stream.estimator.compute(
        processingEndTime,
        input.numRecords,
        processingDelay,
        schedulingDelay,
      );
      if (estimate === undefined) continue;
      const rate = Math.min(estimate, stream.maxRate);
      stream.latestRate = rate;
      this.publishSafely(streamId, rate, errors);
    }
    throwCollected(errors);
  }

  private publishSafely(streamId: number, rate: number, errors: unknown[]): void {
    try {
      this.publish(streamId, rate);
    } catch (error) {
      errors.push(error);
    }
  }
}

function throwCollected(errors: readonly unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new DStreamError(
      'RATE_UPDATE_FAILED',
      `Publishing ${errors.length} rate updates failed`,
      {
        cause: new AggregateError(errors),
      },
    );
  }
}
