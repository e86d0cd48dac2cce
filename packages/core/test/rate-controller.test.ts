import { describe, expect, it } from 'vitest';
import type { BatchInfo } from '../src/listener/batch-info.js';
import { PidRateEstimator } from '../src/scheduler/pid-rate-estimator.js';
import { RateController, type RateControllerOptions } from '../src/scheduler/rate-controller.js';
import { ConfigurationError, DStreamError } from '../src/util/errors.js';

/** A completed batch: records per stream, processed from `start` for `processingDelay` ms. */
function completedBatch(options: {
  readonly batchTime: number;
  readonly records: Readonly<Record<number, number>>;
  readonly processingDelay: number;
  readonly schedulingDelay?: number;
}): BatchInfo {
  const schedulingDelay = options.schedulingDelay ?? 0;
  const start = options.batchTime + schedulingDelay;
  const end = start + options.processingDelay;
  const inputs = new Map(
    Object.entries(options.records).map(([id, numRecords]) => [
      Number(id),
      { streamId: Number(id), numRecords, metadata: {} },
    ]),
  );
  let numRecords = 0;
  for (const input of inputs.values()) numRecords += input.numRecords;
  return {
    batchTime: options.batchTime,
    streamIdToInputInfo: inputs,
    submissionTime: options.batchTime,
    processingStartTime: start,
    processingEndTime: end,
    outputOperationInfos: new Map(),
    numRecords,
    schedulingDelay,
    processingDelay: options.processingDelay,
    totalDelay: end - options.batchTime,
  };
}

/** A controller whose published rates are recorded as `[streamId, rate]`. */
function recordingController(
  options: Omit<RateControllerOptions, 'publish' | 'batchInterval'> & { batchInterval?: number },
): {
  controller: RateController;
  published: [number, number][];
} {
  const published: [number, number][] = [];
  const controller = new RateController({
    batchInterval: 1000,
    ...options,
    publish: (streamId, rate) => published.push([streamId, rate]),
  });
  return { controller, published };
}

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

describe('RateController', () => {
  describe('publishing rates per stream', () => {
    it('publishes nothing for the first batch of a stream (the estimator only measures it)', () => {
      const { controller, published } = recordingController({ streams: [{ streamId: 0 }] });
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 0: 2000 }, processingDelay: 1000 }),
      );
      expect(published).toEqual([]);
      expect(controller.latestRate(0)).toBeUndefined();
    });

    it('publishes a new rate for each controlled stream from the second batch on, each from its own estimator', () => {
      const { controller, published } = recordingController({
        streams: [{ streamId: 0 }, { streamId: 3 }],
      });
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 0: 2000, 3: 500 }, processingDelay: 1000 }),
      );
      controller.onBatchCompleted(
        completedBatch({ batchTime: 2000, records: { 0: 1000, 3: 500 }, processingDelay: 1000 }),
      );
      // Stream 0: estimate 2 000/s, measured 1 000/s: 1 000. Stream 3: 500/s as estimated: 500.
      expect(published).toEqual([
        [0, 1000],
        [3, 500],
      ]);
      expect(controller.latestRate(0)).toBe(1000);
      expect(controller.latestRate(3)).toBe(500);
    });

    it('publishes exactly what a PidRateEstimator computes from the batch records, delays and processing end time', () => {
      const pid = { proportional: 0.8, integral: 0.3, derivative: 0.1, minRate: 10 };
      const { controller, published } = recordingController({
        batchInterval: 2000,
        streams: [{ streamId: 1 }],
        pid,
      });
      const reference = new PidRateEstimator(2000, pid);
      const expected: [number, number][] = [];
      const batches = [
        completedBatch({ batchTime: 2000, records: { 1: 9000 }, processingDelay: 1500 }),
        completedBatch({
          batchTime: 4000,
          records: { 1: 7000 },
          processingDelay: 2600,
          schedulingDelay: 0,
        }),
        completedBatch({
          batchTime: 6000,
          records: { 1: 6500 },
          processingDelay: 2100,
          schedulingDelay: 600,
        }),
        completedBatch({
          batchTime: 8000,
          records: { 1: 5000 },
          processingDelay: 1700,
          schedulingDelay: 700,
        }),
      ];
      for (const batch of batches) {
        controller.onBatchCompleted(batch);
        const rate = reference.compute(
          batch.processingEndTime!,
          batch.numRecords,
          batch.processingDelay!,
          batch.schedulingDelay!,
        );
        if (rate !== undefined) expected.push([1, rate]);
      }
      expect(expected).toHaveLength(3);
      expect(published).toEqual(expected);
    });

    it('feeds a stream only the batches it took part in', () => {
      const { controller, published } = recordingController({
        streams: [{ streamId: 0 }, { streamId: 1 }],
      });
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 0: 2000, 1: 2000 }, processingDelay: 1000 }),
      );
      controller.onBatchCompleted(
        completedBatch({ batchTime: 2000, records: { 0: 2000 }, processingDelay: 1000 }),
      );
      expect(published).toEqual([[0, 2000]]);
      expect(controller.latestRate(1)).toBeUndefined();
    });

    it('ignores streams it does not control', () => {
      const { controller, published } = recordingController({ streams: [{ streamId: 0 }] });
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 5: 2000 }, processingDelay: 1000 }),
      );
      controller.onBatchCompleted(
        completedBatch({ batchTime: 2000, records: { 5: 2000 }, processingDelay: 1000 }),
      );
      expect(published).toEqual([]);
      expect(controller.latestRate(5)).toBeUndefined();
    });

    it('ignores batches that have not completed processing', () => {
      const { controller, published } = recordingController({ streams: [{ streamId: 0 }] });
      const first = completedBatch({
        batchTime: 1000,
        records: { 0: 2000 },
        processingDelay: 1000,
      });
      controller.onBatchCompleted(first);
      const submitted = completedBatch({
        batchTime: 2000,
        records: { 0: 1000 },
        processingDelay: 1000,
      });
      controller.onBatchCompleted({
        ...submitted,
        processingStartTime: undefined,
        processingEndTime: undefined,
        processingDelay: undefined,
        schedulingDelay: undefined,
      });
      expect(published).toEqual([]);
      controller.onBatchCompleted(submitted);
      expect(published).toEqual([[0, 1000]]);
    });

    it('skips batches without records or without processing time, as the estimator does', () => {
      const { controller, published } = recordingController({ streams: [{ streamId: 0 }] });
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 0: 2000 }, processingDelay: 1000 }),
      );
      controller.onBatchCompleted(
        completedBatch({ batchTime: 2000, records: { 0: 0 }, processingDelay: 5 }),
      );
      controller.onBatchCompleted(
        completedBatch({ batchTime: 3000, records: { 0: 1000 }, processingDelay: 0 }),
      );
      expect(published).toEqual([]);
    });

    it('applies the PID options to every stream, such as the minRate floor', () => {
      const { controller, published } = recordingController({
        streams: [{ streamId: 0 }, { streamId: 1 }],
        pid: { minRate: 25 },
      });
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 0: 1000, 1: 1000 }, processingDelay: 1000 }),
      );
      controller.onBatchCompleted(
        completedBatch({
          batchTime: 2000,
          records: { 0: 1000, 1: 1000 },
          processingDelay: 1000,
          schedulingDelay: 300_000,
        }),
      );
      expect(published).toEqual([
        [0, 25],
        [1, 25],
      ]);
    });
  });

  describe('initialRate', () => {
    it('publishes the initial rate to every stream on start, capped by each maxRate', () => {
      const { controller, published } = recordingController({
        streams: [{ streamId: 0 }, { streamId: 1, maxRate: 300 }],
        initialRate: 1000,
      });
      expect(published).toEqual([]);
      controller.start();
      expect(published).toEqual([
        [0, 1000],
        [1, 300],
      ]);
      expect(controller.initialRateOf(0)).toBe(1000);
      expect(controller.initialRateOf(1)).toBe(300);
    });

    it('is the latest rate until the first estimate replaces it', () => {
      const { controller } = recordingController({ streams: [{ streamId: 0 }], initialRate: 1000 });
      controller.start();
      expect(controller.latestRate(0)).toBe(1000);
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 0: 1000 }, processingDelay: 2000 }),
      );
      expect(controller.latestRate(0)).toBe(1000);
      controller.onBatchCompleted(
        completedBatch({
          batchTime: 2000,
          records: { 0: 1000 },
          processingDelay: 2000,
          schedulingDelay: 1000,
        }),
      );
      // Estimate 500/s, processing at 500/s, backlog 1 000 ms × 500 / 1 000 ms: 500 − 0.2 × 500.
      expect(controller.latestRate(0)).toBe(400);
    });

    it('publishes nothing on start without an initial rate: streams start at their maxRate', () => {
      const { controller, published } = recordingController({
        streams: [{ streamId: 0, maxRate: 500 }],
      });
      controller.start();
      expect(published).toEqual([]);
      expect(controller.initialRateOf(0)).toBeUndefined();
      expect(controller.latestRate(0)).toBeUndefined();
    });

    it('has no initial rate for streams it does not control', () => {
      const { controller } = recordingController({ streams: [{ streamId: 0 }], initialRate: 1000 });
      expect(controller.initialRateOf(7)).toBeUndefined();
      expect(controller.latestRate(7)).toBeUndefined();
    });
  });

  describe('maxRate', () => {
    it('never publishes a rate above the stream maxRate', () => {
      const { controller, published } = recordingController({
        streams: [{ streamId: 0, maxRate: 1500 }, { streamId: 1 }],
      });
      controller.onBatchCompleted(
        completedBatch({ batchTime: 1000, records: { 0: 1000, 1: 1000 }, processingDelay: 1000 }),
      );
      // Processing got 4× faster: the estimate climbs to 4 000/s.
      controller.onBatchCompleted(
        completedBatch({ batchTime: 2000, records: { 0: 1000, 1: 1000 }, processingDelay: 250 }),
      );
      expect(published).toEqual([
        [0, 1500],
        [1, 4000],
      ]);
      expect(controller.latestRate(0)).toBe(1500);
    });

    it('caps only what it publishes: the estimator goes on from its own estimate, as in Spark', () => {
      const pid = { proportional: 0.5 };
      const capped = recordingController({ streams: [{ streamId: 0, maxRate: 1500 }], pid });
      const free = recordingController({ streams: [{ streamId: 0 }], pid });
      const batches = [
        completedBatch({ batchTime: 1000, records: { 0: 1000 }, processingDelay: 1000 }),
        completedBatch({ batchTime: 2000, records: { 0: 1000 }, processingDelay: 250 }),
        completedBatch({ batchTime: 3000, records: { 0: 1000 }, processingDelay: 1000 }),
      ];
      for (const batch of batches) {
        capped.controller.onBatchCompleted(batch);
        free.controller.onBatchCompleted(batch);
      }
      // 1 000 + 0.5 × 3 000 = 2 500; then 2 500 − 0.5 × (2 500 − 1 000) = 1 750. Had the estimator
      // started from the capped 1 500, the second rate would be 1 500 − 0.5 × 500 = 1 250.
      expect(free.published).toEqual([
        [0, 2500],
        [0, 1750],
      ]);
      expect(capped.published).toEqual([
        [0, 1500],
        [0, 1500],
      ]);
    });
  });

  describe('publish failures', () => {
    it('updates every stream, then rethrows the failure', () => {
      const published: number[] = [];
      const failure = new Error('source gone');
      const controller = new RateController({
        batchInterval: 1000,
        streams: [{ streamId: 0 }, { streamId: 1 }],
        initialRate: 100,
        publish: (streamId) => {
          if (streamId === 0) throw failure;
          published.push(streamId);
        },
      });
      expect(() => controller.start()).toThrow(failure);
      expect(published).toEqual([1]);
    });

    it('reports several failures together as RATE_UPDATE_FAILED', () => {
      const controller = new RateController({
        batchInterval: 1000,
        streams: [{ streamId: 0 }, { streamId: 1 }],
        initialRate: 100,
        publish: () => {
          throw new Error('nope');
        },
      });
      let caught: unknown;
      try {
        controller.start();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DStreamError);
      expect((caught as DStreamError).code).toBe('RATE_UPDATE_FAILED');
      expect(((caught as DStreamError).cause as AggregateError).errors).toHaveLength(2);
    });
  });

  describe('configuration', () => {
    const base: RateControllerOptions = {
      batchInterval: 1000,
      streams: [{ streamId: 0 }],
      publish: () => undefined,
    };

    it('lists the streams it controls', () => {
      expect(
        new RateController({ ...base, streams: [{ streamId: 4 }, { streamId: 2 }] }).streamIds,
      ).toEqual([4, 2]);
    });

    it('refuses invalid settings, naming the option', () => {
      expect(failingOption(() => new RateController({ ...base, batchInterval: 0 }))).toBe(
        'batchInterval',
      );
      expect(failingOption(() => new RateController({ ...base, initialRate: 0 }))).toBe(
        'initialRate',
      );
      expect(failingOption(() => new RateController({ ...base, initialRate: Infinity }))).toBe(
        'initialRate',
      );
      expect(
        failingOption(
          () => new RateController({ ...base, streams: [{ streamId: 0, maxRate: 0 }] }),
        ),
      ).toBe('maxRate');
      expect(
        failingOption(() => new RateController({ ...base, streams: [{ streamId: -1 }] })),
      ).toBe('streamId');
      expect(
        failingOption(
          () => new RateController({ ...base, streams: [{ streamId: 1 }, { streamId: 1 }] }),
        ),
      ).toBe('streamId');
      expect(
        failingOption(
          () =>
            new RateController({
              ...base,
              publish: undefined as unknown as RateControllerOptions['publish'],
            }),
        ),
      ).toBe('publish');
      expect(failingOption(() => new RateController({ ...base, pid: { integral: -1 } }))).toBe(
        'integral',
      );
    });

    it('accepts an infinite maxRate as no cap', () => {
      expect(
        new RateController({
          ...base,
          streams: [{ streamId: 0, maxRate: Infinity }],
          initialRate: 50,
        }).initialRateOf(0),
      ).toBe(50);
    });
  });
});
