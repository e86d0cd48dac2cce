import { describe, expect, it } from 'vitest';
import {
  median,
  percentile,
  percentileOfSorted,
  round,
  Samples,
  ThroughputMeter,
} from '../src/measure.js';

describe('median and percentile', () => {
  it('follow their definitions', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 10)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('take the nearest rank of sorted values', () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentileOfSorted(sorted, 99)).toBe(990);
    expect(percentileOfSorted(sorted, 100)).toBe(1000);
    expect(percentileOfSorted(sorted, 0)).toBe(1);
  });

  it('round to the given decimals', () => {
    expect(round(1.2345, 2)).toBe(1.23);
    expect(round(1234.5)).toBe(1235);
  });
});

describe('Samples', () => {
  it('grows past its initial capacity and summarizes every sample', () => {
    const samples = new Samples(16);
    for (let i = 1000; i >= 1; i--) samples.add(i);
    expect(samples.count).toBe(1000);
    expect(samples.distribution()).toEqual({ count: 1000, p50: 500, p99: 990, max: 1000 });
  });

  it('forgets samples when cleared', () => {
    const samples = new Samples();
    samples.add(5);
    samples.clear();
    samples.add(7);
    expect(samples.distribution()).toEqual({ count: 1, p50: 7, p99: 7, max: 7 });
    samples.clear();
    expect(samples.distribution().max).toBeNaN();
  });
});

describe('ThroughputMeter', () => {
  it('gives the rate of the records counted in the window', () => {
    let now = 1000;
    let cpu = 50;
    const meter = new ThroughputMeter(
      () => now,
      () => cpu,
    );
    meter.count(1000);
    meter.startWindow();
    meter.count(300);
    now += 250;
    cpu += 100;
    meter.count(200);
    now += 250;
    cpu += 150;
    meter.endWindow();
    meter.count(5000);
    expect(meter.windowRecords).toBe(500);
    expect(meter.total).toBe(6500);
    expect(meter.rate).toBe(1000);
    expect(meter.ratePerCpuSecond).toBe(2000);
  });

  it('has no rate before its window ends', () => {
    const meter = new ThroughputMeter();
    meter.startWindow();
    expect(meter.rate).toBeNaN();
  });
});
