import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PID_RATE_ESTIMATOR_OPTIONS,
  PidRateEstimator,
  resolvePidRateEstimatorOptions,
  type PidRateEstimatorOptions,
} from '../src/scheduler/pid-rate-estimator.js';
import { ConfigurationError } from '../src/util/errors.js';

/** The option a ConfigurationError names, or a failure when `action` does not throw one. */
function failingOption(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).option;
  }
  throw new Error('expected a ConfigurationError');
}

/** One batch of a simulated run. */
interface SimulatedBatch {
  readonly time: number;
  /** The rate limit in force when the batch was cut (`Infinity` before the first estimate). */
  readonly rateLimit: number;
  readonly records: number;
  readonly schedulingDelay: number;
  readonly processingDelay: number;
}

/**
 * A source offering `offeredRate` records per second to a receiver limited by the estimator's
 * rate, and a processor absorbing `capacity` records per second, one batch at a time. Batches
 * are cut every batch interval whatever the backlog; a batch waits until the previous one is done
 * (its scheduling delay); the estimator hears of each batch when it completes, and its estimate
 * applies to the batches cut after that.
 */
function simulate(options: {
  readonly offeredRate: number;
  readonly capacity: number;
  readonly batches: number;
  readonly batchInterval?: number;
  readonly pid?: PidRateEstimatorOptions;
  /** Whether estimates limit the receiver (default true). */
  readonly backpressure?: boolean;
}): SimulatedBatch[] {
  const batchInterval = options.batchInterval ?? 1000;
  const estimator = new PidRateEstimator(batchInterval, options.pid);
  const completions: {
    end: number;
    records: number;
    processingDelay: number;
    schedulingDelay: number;
  }[] = [];
  const batches: SimulatedBatch[] = [];
  let rateLimit = Infinity;
  let lastEnd = 0;
  for (let k = 1; k <= options.batches; k++) {
    const time = k * batchInterval;
    while (completions.length > 0 && completions[0].end <= time) {
      const done = completions.shift()!;
      const estimate = estimator.compute(
        done.end,
        done.records,
        done.processingDelay,
        done.schedulingDelay,
      );
      if (estimate !== undefined && options.backpressure !== false) rateLimit = estimate;
    }
    const records = Math.floor((Math.min(options.offeredRate, rateLimit) * batchInterval) / 1000);
    const start = Math.max(time, lastEnd);
    const processingDelay = Math.ceil((records / options.capacity) * 1000);
    lastEnd = start + processingDelay;
    completions.push({ end: lastEnd, records, processingDelay, schedulingDelay: start - time });
    batches.push({ time, rateLimit, records, schedulingDelay: start - time, processingDelay });
  }
  return batches;
}

describe('PidRateEstimator', () => {
  describe('configuration', () => {
    it("defaults to Spark's gains: proportional 1.0, integral 0.2, derivative 0, minRate 100", () => {
      expect(new PidRateEstimator(1000).options).toEqual({
        proportional: 1.0,
        integral: 0.2,
        derivative: 0,
        minRate: 100,
      });
      expect(DEFAULT_PID_RATE_ESTIMATOR_OPTIONS).toEqual({
        proportional: 1.0,
        integral: 0.2,
        derivative: 0,
        minRate: 100,
      });
    });

    it('takes each gain and the floor from its options, keeping defaults for the rest', () => {
      expect(new PidRateEstimator(1000, { integral: 0.5, minRate: 10 }).options).toEqual({
        proportional: 1.0,
        integral: 0.5,
        derivative: 0,
        minRate: 10,
      });
    });

    it('accepts gains of zero', () => {
      expect(
        new PidRateEstimator(1000, { proportional: 0, integral: 0, derivative: 0 }).options
          .proportional,
      ).toBe(0);
    });

    it('refuses a batch interval that is not a positive number, naming it', () => {
      expect(failingOption(() => new PidRateEstimator(0))).toBe('batchIntervalMillis');
      expect(failingOption(() => new PidRateEstimator(-1000))).toBe('batchIntervalMillis');
      expect(failingOption(() => new PidRateEstimator(Number.NaN))).toBe('batchIntervalMillis');
    });

    it('refuses negative or non-finite gains, naming the gain', () => {
      expect(failingOption(() => new PidRateEstimator(1000, { proportional: -0.1 }))).toBe(
        'proportional',
      );
      expect(failingOption(() => new PidRateEstimator(1000, { integral: -1 }))).toBe('integral');
      expect(failingOption(() => new PidRateEstimator(1000, { derivative: Infinity }))).toBe(
        'derivative',
      );
      expect(failingOption(() => new PidRateEstimator(1000, { integral: Number.NaN }))).toBe(
        'integral',
      );
    });

    it('refuses a minRate that is not above zero, naming it', () => {
      expect(failingOption(() => new PidRateEstimator(1000, { minRate: 0 }))).toBe('minRate');
      expect(failingOption(() => new PidRateEstimator(1000, { minRate: -5 }))).toBe('minRate');
    });

    it("refuses unknown options, such as Spark's spelling 'derived'", () => {
      const options = { derived: 0.1 } as unknown as PidRateEstimatorOptions;
      expect(failingOption(() => new PidRateEstimator(1000, options))).toBe('derived');
    });

    it('names options with a prefix when resolved for a context', () => {
      expect(
        failingOption(() => resolvePidRateEstimatorOptions({ minRate: 0 }, 'backpressurePid.')),
      ).toBe('backpressurePid.minRate');
      expect(resolvePidRateEstimatorOptions(undefined, 'backpressurePid.')).toEqual(
        DEFAULT_PID_RATE_ESTIMATOR_OPTIONS,
      );
    });
  });

  describe('first run', () => {
    it('returns no rate for the first batch with data, and records its processing rate as the estimate', () => {
      const estimator = new PidRateEstimator(1000);
      expect(estimator.latestEstimate).toBeUndefined();
      // 5 000 records in 2 500 ms: 2 000 records per second.
      expect(estimator.compute(1_000, 5_000, 2_500, 0)).toBeUndefined();
      expect(estimator.latestEstimate).toBe(2_000);
    });

    it('ignores a scheduling delay on the first run', () => {
      const estimator = new PidRateEstimator(1000);
      expect(estimator.compute(1_000, 5_000, 2_500, 60_000)).toBeUndefined();
      expect(estimator.latestEstimate).toBe(2_000);
    });

    it('does not count batches the guard skips as the first run', () => {
      const estimator = new PidRateEstimator(1000);
      expect(estimator.compute(1_000, 0, 10, 0)).toBeUndefined();
      expect(estimator.latestEstimate).toBeUndefined();
      expect(estimator.compute(2_000, 1_000, 500, 0)).toBeUndefined();
      expect(estimator.latestEstimate).toBe(2_000);
      expect(estimator.compute(3_000, 1_000, 500, 0)).toBe(2_000);
    });
  });

  describe('estimates', () => {
    it('backs off below the processing rate by integral × the backlog the scheduling delay stands for', () => {
      const estimator = new PidRateEstimator(1000);
      estimator.compute(1_000, 5_000, 2_500, 0);
      // Processing at 2 000/s as estimated (no error); 1 500 ms of delay = 3 000 records/s of backlog.
      expect(estimator.compute(2_000, 5_000, 2_500, 1_500)).toBe(2_000 - 0.2 * 3_000);
    });

    it('keeps the rate when processing matches it and nothing waits', () => {
      const estimator = new PidRateEstimator(1000);
      estimator.compute(1_000, 2_000, 1_000, 0);
      for (let time = 2_000; time <= 6_000; time += 1_000) {
        expect(estimator.compute(time, 2_000, 1_000, 0)).toBe(2_000);
      }
    });

    it('corrects by the proportional error toward the measured processing rate, both ways', () => {
      const estimator = new PidRateEstimator(1000);
      estimator.compute(1_000, 2_000, 1_000, 0); // estimate 2 000/s
      // Processing slowed to 1 000/s: error 1 000, rate 2 000 − 1 000.
      expect(estimator.compute(2_000, 1_000, 1_000, 0)).toBe(1_000);
      // Processing sped up to 4 000/s: error −3 000, rate 1 000 + 3 000.
      expect(estimator.compute(3_000, 2_000, 500, 0)).toBe(4_000);
    });

    it('combines the three terms as Spark does, with the derivative over the seconds since the last update', () => {
      const estimator = new PidRateEstimator(2000, {
        proportional: 0.5,
        integral: 0.1,
        derivative: 0.2,
      });
      // First run: 4 000 records in 1 000 ms, estimate 4 000/s, error 0.
      expect(estimator.compute(2_000, 4_000, 1_000, 0)).toBeUndefined();
      // 2 000/s measured: error 2 000; backlog 1 000 × 2 000 / 2 000 = 1 000; dError (2 000 − 0) / 2 s.
      expect(estimator.compute(4_000, 3_000, 1_500, 1_000)).toBe(
        4_000 - 0.5 * 2_000 - 0.1 * 1_000 - 0.2 * 1_000,
      );
      // 3 000/s measured against 2 700: error −300; no backlog; dError (−300 − 2 000) / 3 s.
      expect(estimator.compute(7_000, 2_700, 900, 0)).toBeCloseTo(
        2_700 + 0.5 * 300 + (0.2 * 2_300) / 3,
        9,
      );
    });

    it('never estimates below minRate', () => {
      const estimator = new PidRateEstimator(1000);
      estimator.compute(1_000, 1_000, 1_000, 0);
      expect(estimator.compute(2_000, 1_000, 1_000, 600_000)).toBe(100);
      expect(estimator.latestEstimate).toBe(100);

      const custom = new PidRateEstimator(1000, { minRate: 7.5 });
      custom.compute(1_000, 1_000, 1_000, 0);
      expect(custom.compute(2_000, 1_000, 1_000, 600_000)).toBe(7.5);
    });

    it('climbs back from the floor once the backlog is gone', () => {
      const estimator = new PidRateEstimator(1000);
      estimator.compute(1_000, 1_000, 1_000, 0);
      expect(estimator.compute(2_000, 1_000, 1_000, 600_000)).toBe(100);
      // 100 records processed at 1 000/s: the error is −900, so the rate rises to 1 000.
      expect(estimator.compute(3_000, 100, 100, 0)).toBe(1_000);
    });
  });

  describe('guards', () => {
    function warmed(): PidRateEstimator {
      const estimator = new PidRateEstimator(1000);
      estimator.compute(1_000, 2_000, 1_000, 0);
      estimator.compute(2_000, 2_000, 1_000, 0);
      return estimator;
    }

    it('skips a batch whose time is not after the last one used', () => {
      const estimator = warmed();
      expect(estimator.compute(2_000, 1_000, 1_000, 0)).toBeUndefined();
      expect(estimator.compute(1_500, 1_000, 1_000, 0)).toBeUndefined();
    });

    it('skips a batch without records', () => {
      expect(warmed().compute(3_000, 0, 1_000, 0)).toBeUndefined();
    });

    it('skips a batch whose processing delay is not positive', () => {
      const estimator = warmed();
      expect(estimator.compute(3_000, 1_000, 0, 0)).toBeUndefined();
      expect(estimator.compute(3_000, 1_000, -5, 0)).toBeUndefined();
    });

    it('skips non-finite inputs', () => {
      const estimator = warmed();
      expect(estimator.compute(Number.NaN, 1_000, 1_000, 0)).toBeUndefined();
      expect(estimator.compute(3_000, 1_000, 1_000, Number.NaN)).toBeUndefined();
      expect(estimator.compute(3_000, Infinity, 1_000, 0)).toBeUndefined();
    });

    it('leaves its state untouched when it skips a batch', () => {
      const skipped = warmed();
      skipped.compute(2_000, 500, 1_000, 9_000);
      skipped.compute(3_000, 0, 1_000, 9_000);
      skipped.compute(3_000, 500, 0, 9_000);
      const clean = warmed();
      expect(skipped.latestEstimate).toBe(clean.latestEstimate);
      expect(skipped.compute(3_000, 1_500, 1_000, 200)).toBe(
        clean.compute(3_000, 1_500, 1_000, 200),
      );
    });
  });

  describe('when input outruns processing', () => {
    const offeredRate = 5_000;
    const capacity = 1_500;

    it('without backpressure, the scheduling delay grows every batch', () => {
      const runs = simulate({ offeredRate, capacity, batches: 30, backpressure: false });
      for (let k = 1; k < runs.length; k++) {
        expect(runs[k].schedulingDelay).toBeGreaterThan(runs[k - 1].schedulingDelay);
      }
    });

    it('with backpressure, the rate drops, the delay stops growing and drains, and the rate settles at the processing rate', () => {
      const runs = simulate({ offeredRate, capacity, batches: 60 });
      const delays = runs.map((batch) => batch.schedulingDelay);
      const peak = delays.indexOf(Math.max(...delays));

      // The rate limit falls below the input rate once estimates arrive.
      const firstLimited = runs.findIndex((batch) => Number.isFinite(batch.rateLimit));
      expect(firstLimited).toBeGreaterThan(0);
      expect(firstLimited).toBeLessThan(10);
      expect(runs[firstLimited].rateLimit).toBeLessThan(capacity);

      // The delay peaks early, then never grows again, and is gone within 30 batches.
      expect(peak).toBeLessThan(10);
      for (let k = peak + 1; k < runs.length; k++)
        expect(delays[k]).toBeLessThanOrEqual(delays[k - 1]);
      expect(delays.slice(30).every((delay) => delay === 0)).toBe(true);

      // The rate never goes under minRate and ends within 1 % of what processing absorbs.
      for (const batch of runs.slice(firstLimited))
        expect(batch.rateLimit).toBeGreaterThanOrEqual(100);
      for (const batch of runs.slice(-10)) {
        expect(Math.abs(batch.rateLimit - capacity) / capacity).toBeLessThan(0.01);
        expect(batch.processingDelay).toBeLessThanOrEqual(1000);
      }
    });

    it('converges for other batch intervals and processing capacities', () => {
      for (const [batchInterval, cap] of [
        [500, 800],
        [2_000, 3_000],
        [10_000, 250],
      ] as const) {
        const runs = simulate({ offeredRate: cap * 4, capacity: cap, batches: 80, batchInterval });
        const tail = runs.slice(-10);
        expect(tail.every((batch) => batch.schedulingDelay === 0)).toBe(true);
        for (const batch of tail) expect(Math.abs(batch.rateLimit - cap) / cap).toBeLessThan(0.01);
      }
    });
  });
});
