import { describe, expect, it } from 'vitest';
import { planOffsetRanges, type PartitionPosition } from '../src/offset-range-planner.js';

const at = (partition: number, from: bigint, latest: bigint): PartitionPosition => ({
  topic: 't',
  partition,
  from,
  latest,
});
const sizes = (
  positions: PartitionPosition[],
  limits: Parameters<typeof planOffsetRanges>[1],
): bigint[] => planOffsetRanges(positions, limits).map((r) => r.until - r.from);

describe('planning the offset ranges of a direct stream batch', () => {
  it('takes everything up to the latest offset when nothing limits it', () => {
    expect(planOffsetRanges([at(0, 5n, 90n), at(1, 0n, 0n)], { batchInterval: 1000 })).toEqual([
      { topic: 't', partition: 0, from: 5n, until: 90n },
      { topic: 't', partition: 1, from: 0n, until: 0n },
    ]);
  });

  it('caps each partition at maxRatePerPartition × batch seconds', () => {
    expect(
      sizes([at(0, 0n, 1000n), at(1, 0n, 30n), at(2, 10n, 10n)], {
        batchInterval: 500,
        maxRatePerPartition: 100,
      }),
    ).toEqual([50n, 30n, 0n]);
  });

  it('spreads the backpressure rate over partitions by lag, each still capped by maxRatePerPartition', () => {
    const positions = [at(0, 0n, 600n), at(1, 0n, 300n), at(2, 0n, 100n)];
    expect(sizes(positions, { batchInterval: 1000, estimatedRate: 100 })).toEqual([60n, 30n, 10n]);
    expect(
      sizes(positions, { batchInterval: 1000, estimatedRate: 100, maxRatePerPartition: 40 }),
    ).toEqual([40n, 30n, 10n]);
  });

  it('gives every partition with lag at least one record, so none stalls', () => {
    expect(
      sizes([at(0, 0n, 1_000_000n), at(1, 0n, 1n)], { batchInterval: 100, estimatedRate: 10 }),
    ).toEqual([1n, 1n]);
  });

  it('handles offsets beyond the range of JavaScript numbers exactly', () => {
    const from = 2n ** 62n;
    expect(
      planOffsetRanges([at(0, from, from + 10n)], { batchInterval: 1000, maxRatePerPartition: 4 }),
    ).toEqual([{ topic: 't', partition: 0, from, until: from + 4n }]);
  });
});
