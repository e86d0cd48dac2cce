import { ConfigurationError } from '../util/errors.js';

/**
 * Gains and floor of a {@link PidRateEstimator}. The defaults are Spark's
 * (`spark.streaming.backpressure.pid.*`): proportional 1.0, integral 0.2, derivative 0,
 * minRate 100.
 */
export interface PidRateEstimatorOptions {
  /**
   * How much the correction depends on the current error, the gap between the last estimate and
   * the measured processing rate (default 1.0; zero or more). Too large overshoots, too small
   * reacts slowly.
   */
  readonly proportional?: number;
  /**
   * How much the correction depends on the accumulated error, read from the scheduling delay
   * (default 0.2; zero or more). It drains a backlog faster but may overshoot when large.
   */
  readonly integral?: number;
  /**
   * How much the correction depends on the change of the error between two batches (default 0;
   * zero or more). Rarely useful: it makes the loop less stable. Spark's key for it is
   * `spark.streaming.backpressure.pid.derived`.
   */
  readonly derivative?: number;
  /**
   * The lowest rate ever estimated, in records per second (default 100; above zero), so that
   * some data always flows and estimation can go on.
   */
  readonly minRate?: number;
}

/** {@link PidRateEstimatorOptions} with defaults applied, validated. */
export interface ResolvedPidRateEstimatorOptions {
  /** Gain of the current error. */
  readonly proportional: number;
  /** Gain of the accumulated error. */
  readonly integral: number;
  /** Gain of the error's rate of change. */
  readonly derivative: number;
  /** Lowest estimate, in records per second. */
  readonly minRate: number;
}

/** Spark's defaults for the PID gains and floor. */
export const DEFAULT_PID_RATE_ESTIMATOR_OPTIONS: ResolvedPidRateEstimatorOptions = Object.freeze({
  proportional: 1.0,
  integral: 0.2,
  derivative: 0.0,
  minRate: 100,
});

const PID_OPTION_NAMES: readonly (keyof PidRateEstimatorOptions)[] = [
  'proportional',
  'integral',
  'derivative',
  'minRate',
];

/**
 * Validates PID options and fills in Spark's defaults. A bad value fails with a
 * {@link ConfigurationError} naming the option, prefixed with `optionPrefix` (for example
 * `backpressurePid.` when the options come from a context's settings). Unknown keys are refused,
 * which catches Spark's spelling `derived`.
 */
export function resolvePidRateEstimatorOptions(
  options: PidRateEstimatorOptions = {},
  optionPrefix = '',
): ResolvedPidRateEstimatorOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError(
      optionPrefix === '' ? 'options' : optionPrefix.replace(/\.$/, ''),
      options,
      'expected an object with proportional, integral, derivative and minRate',
    );
  }
  for (const name of Object.keys(options)) {
    if (!(PID_OPTION_NAMES as readonly string[]).includes(name)) {
      throw new ConfigurationError(
        `${optionPrefix}${name}`,
        (options as Record<string, unknown>)[name],
        `unknown option; known options are ${PID_OPTION_NAMES.join(', ')}`,
      );
    }
  }
  const gain = (name: 'proportional' | 'integral' | 'derivative'): number => {
    const value: unknown = options[name] ?? DEFAULT_PID_RATE_ESTIMATOR_OPTIONS[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigurationError(
        `${optionPrefix}${name}`,
        value,
        'expected a finite number of zero or more',
      );
    }
    return value;
  };
  const minRate: unknown = options.minRate ?? DEFAULT_PID_RATE_ESTIMATOR_OPTIONS.minRate;
  if (typeof minRate !== 'number' || !Number.isFinite(minRate) || minRate <= 0) {
    throw new ConfigurationError(
      `${optionPrefix}minRate`,
      minRate,
      'expected a positive number of records per second',
    );
  }
  return {
    proportional: gain('proportional'),
    integral: gain('integral'),
    derivative: gain('derivative'),
    minRate,
  };
}

/**
 * Estimates the rate, in records per second, at which one input stream should ingest so that
 * processing keeps up with the batch interval: Spark's `PIDRateEstimator`, a
 * proportional-integral-derivative controller fed by batch completions.
 *
 * The error is the gap between the last estimate and the measured processing rate
 * (records / processing delay). The integral term reads the scheduling delay: a delay of `s` ms
 * means about `s × processingRate` records that earlier batches could not absorb, which would
 * drain at `s × processingRate / batchInterval` records per second. The new rate is
 * `latestRate − proportional × error − integral × historicalError − derivative × dError`, never
 * below `minRate`.
 *
 * The first batch with data only records its processing rate as the starting estimate and
 * returns `undefined`; later batches return a new rate. A batch is skipped (returns `undefined`,
 * state untouched) unless its time is after the last one used, it has records, and its
 * processing delay is positive.
 *
 * @example
 * ```ts
 * const estimator = new PidRateEstimator(1000);
 * estimator.compute(1_000, 5_000, 2_500, 0); // undefined: first run, 2 000 records/s measured
 * estimator.compute(2_000, 5_000, 2_500, 1_500); // 1 400: backs off below the processing rate
 * ```
 */
export class PidRateEstimator {
  /** The gains and floor in force. */
  readonly options: ResolvedPidRateEstimatorOptions;
  private firstRun = true;
  private latestTime = -1;
  private latestRate = -1;
  private latestError = -1;

  /**
   * @param batchIntervalMillis the context's batch interval, in milliseconds (positive).
   * @param options the PID gains and the rate floor; Spark's defaults when left out.
   * @throws ConfigurationError naming `batchIntervalMillis` or the offending option.
   */
  constructor(
    /** The batch interval, in milliseconds. */
    readonly batchIntervalMillis: number,
    options: PidRateEstimatorOptions = {},
  ) {
    if (
      typeof batchIntervalMillis !== 'number' ||
      !Number.isFinite(batchIntervalMillis) ||
      batchIntervalMillis <= 0
    ) {
      throw new ConfigurationError(
        'batchIntervalMillis',
        batchIntervalMillis,
        'expected a positive number of milliseconds',
      );
    }
    this.options = resolvePidRateEstimatorOptions(options);
  }

  /**
   * The estimate the next batch is compared with: the last rate returned, or after the first
   * run the measured processing rate; `undefined` before any batch was used.
   */
  get latestEstimate(): number | undefined {
    return this.firstRun ? undefined : this.latestRate;
  }

  /**
   * Takes one completed batch into account and returns the new rate, in records per second, or
   * `undefined` when there is none: on the first batch with data, and for batches the guard
   * skips.
   *
   * @param time when the batch completed, in milliseconds (Spark passes the processing end time).
   * @param numElements records the stream contributed to the batch.
   * @param processingDelay milliseconds the batch's processing took.
   * @param schedulingDelay milliseconds the batch waited before its processing started.
   */
  compute(
    time: number,
    numElements: number,
    processingDelay: number,
    schedulingDelay: number,
  ): number | undefined {
    // Spark's arguments are Longs; non-finite numbers, which a Long cannot hold, are skipped too.
    if (
      !Number.isFinite(time) ||
      !Number.isFinite(numElements) ||
      !Number.isFinite(processingDelay) ||
      !Number.isFinite(schedulingDelay)
    ) {
      return undefined;
    }
    if (!(time > this.latestTime && numElements > 0 && processingDelay > 0)) return undefined;
    const { proportional, integral, derivative, minRate } = this.options;

    // Seconds since the last update; close to the batch interval in steady state.
    const delaySinceUpdate = (time - this.latestTime) / 1000;
    // Records per second the last batch was processed at.
    const processingRate = (numElements / processingDelay) * 1000;
    // The desired rate is the last estimate; the error is how far processing fell short of it.
    const error = this.latestRate - processingRate;
    // Records per second that would drain the backlog the scheduling delay stands for.
    const historicalError = (schedulingDelay * processingRate) / this.batchIntervalMillis;
    // Records per second squared.
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(
      this.latestRate - proportional * error - integral * historicalError - derivative * dError,
      minRate,
    );

    this.latestTime = time;
    if (this.firstRun) {
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}
