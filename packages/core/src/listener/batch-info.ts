import type { DecodeFailureSummary } from '../decoding/decode-failure-ledger.js';

/** What one input stream contributed to one batch. */
export interface StreamInputInfo {
  readonly streamId: number;
  readonly numRecords: number;
  /** Source facts for the batch: offset ranges, file lists, block ids. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * Records of this stream that could not be decoded since the previous batch and were skipped
   * or dead-lettered (by its `onDecodeError` policy); absent when there were none.
   */
  readonly decodeFailures?: DecodeFailureSummary;
}

/** One output operation of one batch. */
export interface OutputOperationInfo {
  readonly batchTime: number;
  /** Position of the output operation in definition order. */
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly startTime?: number;
  readonly endTime?: number;
  /** The error message when the operation failed. */
  readonly failureReason?: string;
}

/**
 * What is known of one batch: when it was submitted, started and completed, its delays and the
 * records each input contributed.
 */
export interface BatchInfo {
  readonly batchTime: number;
  readonly streamIdToInputInfo: ReadonlyMap<number, StreamInputInfo>;
  readonly submissionTime: number;
  readonly processingStartTime?: number;
  readonly processingEndTime?: number;
  readonly outputOperationInfos: ReadonlyMap<number, OutputOperationInfo>;
  /** Records over all inputs. */
  readonly numRecords: number;
  /** Time from the batch time until processing started. */
  readonly schedulingDelay?: number;
  /** Time processing took. */
  readonly processingDelay?: number;
  /** Scheduling delay plus processing delay. */
  readonly totalDelay?: number;
}

/** A receiver as listeners see it. */
export interface ReceiverInfo {
  readonly streamId: number;
  readonly name: string;
  readonly active: boolean;
  readonly lastErrorMessage?: string;
  readonly lastError?: unknown;
  readonly lastErrorTime?: number;
}
