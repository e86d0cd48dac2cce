import type { BatchInfo } from '@dstream/core';
import { clockTime } from './clock-time.js';

/** What the engine reports of one completed batch, as a status line shows it. */
export interface BatchOutcome {
  readonly batchTime: number;
  /** Its position in the run, from 1. */
  readonly number: number;
  readonly processingDelay: number;
  readonly schedulingDelay: number;
  /** Why an output operation of the batch failed, if one did. */
  readonly failure: string | undefined;
}

/** The batches of a whole run and their delays, as a summary shows them. */
export interface TimingSummary {
  readonly batches: number;
  readonly failedBatches: number;
  readonly meanProcessingDelay: number;
  readonly maxProcessingDelay: number;
  readonly maxSchedulingDelay: number;
}

/** Counts the completed batches of a run, the failed ones, and their delays. */
export class BatchTimings {
  private batches = 0;
  private failedBatches = 0;
  private totalProcessing = 0;
  private maxProcessing = 0;
  private maxScheduling = 0;

  /** Adds a batch the engine reports completed. */
  complete(info: BatchInfo): BatchOutcome {
    const processingDelay = info.processingDelay ?? 0;
    // The last batches of a graceful stop run before their time: no delay then.
    const schedulingDelay = Math.max(0, info.schedulingDelay ?? 0);
    const failure = [...info.outputOperationInfos.values()].find(
      (operation) => operation.failureReason !== undefined,
    )?.failureReason;
    this.batches++;
    if (failure !== undefined) this.failedBatches++;
    this.totalProcessing += processingDelay;
    if (processingDelay > this.maxProcessing) this.maxProcessing = processingDelay;
    if (schedulingDelay > this.maxScheduling) this.maxScheduling = schedulingDelay;
    return {
      batchTime: info.batchTime,
      number: this.batches,
      processingDelay,
      schedulingDelay,
      failure,
    };
  }

  /** The run so far. */
  summary(): TimingSummary {
    return {
      batches: this.batches,
      failedBatches: this.failedBatches,
      meanProcessingDelay: this.batches === 0 ? 0 : this.totalProcessing / this.batches,
      maxProcessingDelay: this.maxProcessing,
      maxSchedulingDelay: this.maxScheduling,
    };
  }
}

/**
 * The status line of a batch: its time and number, the application's `figures` (such as
 * `records 312 devices 298`), its delays and its failure, such as
 * `12:00:05 batch 17 records 312 devices 298 processing 12 ms delay 1 ms`.
 */
export function formatStatusLine(outcome: BatchOutcome, figures: string): string {
  const line =
    `${clockTime(outcome.batchTime)} batch ${outcome.number} ${figures}` +
    ` processing ${Math.round(outcome.processingDelay)} ms delay ${Math.round(outcome.schedulingDelay)} ms`;
  return outcome.failure === undefined ? line : `${line} FAILED: ${outcome.failure}`;
}

/** The `ran for` line of a summary: how long the run took and its batches. */
export function formatRanFor(summary: TimingSummary, elapsed: number): string {
  return `  ran for        ${(elapsed / 1000).toFixed(1)} s, ${summary.batches} batches${summary.failedBatches > 0 ? ` (${summary.failedBatches} failed)` : ''}`;
}

/** The `processing` line of a summary: the delays of the batches. */
export function formatProcessing(summary: TimingSummary): string {
  return `  processing     ${summary.meanProcessingDelay.toFixed(1)} ms per batch on average, ${Math.round(summary.maxProcessingDelay)} ms at most; scheduling delay ${Math.round(summary.maxSchedulingDelay)} ms at most`;
}
