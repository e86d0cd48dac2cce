import type { BatchInfo } from '@dstream/core';
import { describe, expect, it } from 'vitest';
import {
  BatchTimings,
  clockTime,
  formatProcessing,
  formatRanFor,
  formatStatusLine,
  Increments,
} from '../src/index.js';

function batchInfo(batchTime: number, processing: number, scheduling: number, failure?: string) {
  return {
    batchTime,
    numRecords: 0,
    processingDelay: processing,
    schedulingDelay: scheduling,
    outputOperationInfos: new Map([[0, { failureReason: failure }]]),
  } as unknown as BatchInfo;
}

describe('BatchTimings', () => {
  it('counts batches, failures and delays; a negative scheduling delay counts as none', () => {
    const timings = new BatchTimings();
    expect(timings.complete(batchInfo(1000, 10, -5))).toEqual({
      batchTime: 1000,
      number: 1,
      processingDelay: 10,
      schedulingDelay: 0,
      failure: undefined,
    });
    expect(timings.complete(batchInfo(2000, 30, 4, 'boom')).failure).toBe('boom');
    expect(timings.summary()).toEqual({
      batches: 2,
      failedBatches: 1,
      meanProcessingDelay: 20,
      maxProcessingDelay: 30,
      maxSchedulingDelay: 4,
    });
  });

  it('formats status lines and the summary lines of the timings', () => {
    const time = new Date(2024, 5, 1, 7, 8, 9).getTime();
    expect(clockTime(time)).toBe('07:08:09');
    const outcome = { batchTime: time, number: 3, processingDelay: 12.4, schedulingDelay: 1 };
    expect(formatStatusLine({ ...outcome, failure: undefined }, 'records 5')).toBe(
      '07:08:09 batch 3 records 5 processing 12 ms delay 1 ms',
    );
    expect(formatStatusLine({ ...outcome, failure: 'boom' }, 'records 5')).toMatch(
      / FAILED: boom$/,
    );
    const summary = new BatchTimings().summary();
    expect(formatRanFor({ ...summary, batches: 3, failedBatches: 1 }, 3200)).toBe(
      '  ran for        3.2 s, 3 batches (1 failed)',
    );
    expect(formatProcessing(summary)).toContain('0.0 ms per batch on average');
  });
});

describe('Increments', () => {
  it('reports the increase of a running total since the previous call', () => {
    const increments = new Increments();
    expect(increments.since(3)).toBe(3);
    expect(increments.since(3)).toBe(0);
    expect(increments.since(7)).toBe(4);
  });
});
