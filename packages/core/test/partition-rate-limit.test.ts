import { describe, expect, it } from 'vitest';
import { IllegalArgumentError } from '../src/dstream/illegal-argument-error.js';
import { maxMessagesPerPartition } from '../src/scheduler/partition-rate-limit.js';
import { ConfigurationError } from '../src/util/errors.js';

function lags(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

function asObject(limits: Map<string, number> | undefined): Record<string, number> | undefined {
  return limits === undefined ? undefined : Object.fromEntries(limits);
}

describe('maxMessagesPerPartition', () => {
  describe('with an estimated rate', () => {
    it('spreads the rate over partitions in proportion to their lag, for one batch interval', () => {
      const limits = maxMessagesPerPartition({
        lagPerPartition: lags({ 'orders-0': 300, 'orders-1': 100 }),
        estimatedRate: 200,
        batchInterval: 2000,
      });
      // 300/400 × 200 = 150/s and 100/400 × 200 = 50/s, over 2 s.
      expect(asObject(limits)).toEqual({ 'orders-0': 300, 'orders-1': 100 });
    });

    it('caps each partition share at maxRatePerPartition', () => {
      const limits = maxMessagesPerPartition({
        lagPerPartition: lags({ a: 900, b: 100 }),
        estimatedRate: 1000,
        maxRatePerPartition: 500,
        batchInterval: 1000,
      });
      // a: 900/s capped to 500; b: 100/s is under the cap.
      expect(asObject(limits)).toEqual({ a: 500, b: 100 });
    });

    it('rounds each partition down to whole messages', () => {
      const limits = maxMessagesPerPartition({
        lagPerPartition: lags({ a: 10, b: 10, c: 10 }),
        estimatedRate: 10,
        batchInterval: 1000,
      });
      expect(asObject(limits)).toEqual({ a: 3, b: 3, c: 3 });
    });

    it('gives a partition without lag minRatePerPartition messages (default 1)', () => {
      expect(
        asObject(
          maxMessagesPerPartition({
            lagPerPartition: lags({ busy: 500, idle: 0 }),
            estimatedRate: 100,
            batchInterval: 1000,
          }),
        ),
      ).toEqual({ busy: 100, idle: 1 });
      expect(
        asObject(
          maxMessagesPerPartition({
            lagPerPartition: lags({ busy: 500, idle: 0 }),
            estimatedRate: 100,
            batchInterval: 1000,
            minRatePerPartition: 20,
          }),
        ),
      ).toEqual({ busy: 100, idle: 20 });
    });

    it('raises small shares to minRatePerPartition', () => {
      const limits = maxMessagesPerPartition({
        lagPerPartition: lags({ a: 999, b: 1 }),
        estimatedRate: 1000,
        batchInterval: 1000,
        minRatePerPartition: 5,
      });
      expect(asObject(limits)).toEqual({ a: 999, b: 5 });
    });

    it('counts a negative lag as zero', () => {
      const limits = maxMessagesPerPartition({
        lagPerPartition: lags({ a: 100, b: -50 }),
        estimatedRate: 100,
        batchInterval: 1000,
      });
      expect(asObject(limits)).toEqual({ a: 100, b: 1 });
    });

    it('sets no limit when no partition has lag: there is nothing to read', () => {
      expect(
        maxMessagesPerPartition({
          lagPerPartition: lags({ a: 0, b: 0 }),
          estimatedRate: 100,
          batchInterval: 1000,
        }),
      ).toBeUndefined();
      expect(
        maxMessagesPerPartition({
          lagPerPartition: lags({ a: 0 }),
          estimatedRate: 100,
          maxRatePerPartition: 10,
          batchInterval: 1000,
        }),
      ).toBeUndefined();
    });

    it('keeps the partitions in the order given', () => {
      const limits = maxMessagesPerPartition({
        lagPerPartition: lags({ z: 1, a: 1, m: 1 }),
        estimatedRate: 3000,
        batchInterval: 1000,
      });
      expect([...limits!.keys()]).toEqual(['z', 'a', 'm']);
    });

    it('takes any partition key, such as Kafka topic-partition objects', () => {
      const p0 = { topic: 'orders', partition: 0 };
      const p1 = { topic: 'orders', partition: 1 };
      const limits = maxMessagesPerPartition({
        lagPerPartition: new Map([
          [p0, 30],
          [p1, 10],
        ]),
        estimatedRate: 40,
        batchInterval: 1000,
      });
      expect(limits?.get(p0)).toBe(30);
      expect(limits?.get(p1)).toBe(10);
    });
  });

  describe('without an estimated rate', () => {
    it('limits every partition to maxRatePerPartition, whatever its lag', () => {
      const limits = maxMessagesPerPartition({
        lagPerPartition: lags({ a: 100_000, b: 3, c: 0 }),
        maxRatePerPartition: 250,
        batchInterval: 2000,
      });
      expect(asObject(limits)).toEqual({ a: 500, b: 500, c: 500 });
    });

    it('treats an estimated rate of zero, below zero or infinite as none', () => {
      for (const estimatedRate of [0, -10, Infinity, Number.NaN]) {
        expect(
          asObject(
            maxMessagesPerPartition({
              lagPerPartition: lags({ a: 5, b: 5 }),
              estimatedRate,
              maxRatePerPartition: 7,
              batchInterval: 1000,
            }),
          ),
        ).toEqual({ a: 7, b: 7 });
      }
    });

    it('rounds down, but never below minRatePerPartition', () => {
      expect(
        asObject(
          maxMessagesPerPartition({
            lagPerPartition: lags({ a: 5 }),
            maxRatePerPartition: 2.5,
            batchInterval: 300,
          }),
        ),
      ).toEqual({ a: 1 });
    });

    it('sets no limit without a maxRatePerPartition, or with an infinite one', () => {
      expect(
        maxMessagesPerPartition({ lagPerPartition: lags({ a: 5 }), batchInterval: 1000 }),
      ).toBeUndefined();
      expect(
        maxMessagesPerPartition({
          lagPerPartition: lags({ a: 5 }),
          maxRatePerPartition: Infinity,
          batchInterval: 1000,
        }),
      ).toBeUndefined();
    });
  });

  it('sets no limit for a stream without partitions', () => {
    expect(
      maxMessagesPerPartition({
        lagPerPartition: new Map(),
        estimatedRate: 100,
        maxRatePerPartition: 10,
        batchInterval: 1000,
      }),
    ).toBeUndefined();
  });

  describe('validation', () => {
    function failingOption(action: () => unknown): string {
      try {
        action();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).option;
      }
      throw new Error('expected a ConfigurationError');
    }

    it('refuses invalid settings, naming the option', () => {
      const lagPerPartition = lags({ a: 1 });
      expect(
        failingOption(() => maxMessagesPerPartition({ lagPerPartition, batchInterval: 0 })),
      ).toBe('batchInterval');
      expect(
        failingOption(() =>
          maxMessagesPerPartition({ lagPerPartition, batchInterval: 1000, maxRatePerPartition: 0 }),
        ),
      ).toBe('maxRatePerPartition');
      expect(
        failingOption(() =>
          maxMessagesPerPartition({ lagPerPartition, batchInterval: 1000, minRatePerPartition: 0 }),
        ),
      ).toBe('minRatePerPartition');
      expect(
        failingOption(() =>
          maxMessagesPerPartition({
            lagPerPartition,
            batchInterval: 1000,
            minRatePerPartition: 1.5,
          }),
        ),
      ).toBe('minRatePerPartition');
    });

    it('refuses a lag that is not a finite number', () => {
      expect(() =>
        maxMessagesPerPartition({
          lagPerPartition: lags({ a: Number.NaN }),
          estimatedRate: 10,
          batchInterval: 1000,
        }),
      ).toThrow(IllegalArgumentError);
    });
  });
});
