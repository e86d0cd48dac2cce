import type { StreamInputInfo } from '../listener/batch-info.js';

/**
 * What a sink promises when a batch is written again (after a failure or a recovery):
 * - `'at-least-once'`: records may appear more than once.
 * - `'idempotent'`: a rewrite of the same batch time and partition replaces, never duplicates.
 * - `'transactional'`: a batch's output becomes visible all at once or not at all.
 *
 * Exactly-once output = replayable source + checkpointed ranges + idempotent or transactional sink.
 */
export type SinkGuarantee = 'at-least-once' | 'idempotent' | 'transactional';

/** Where a write belongs: the batch and the partition. */
export interface SinkWriteContext {
  /** The batch time in milliseconds. */
  readonly batchTime: number;
  /** The partition index within the batch. */
  readonly partition: number;
  /** How many partitions the batch has. */
  readonly numPartitions: number;
}

/** The batch a transactional sink is writing: its time and what each input contributed. */
export interface SinkBatchContext {
  readonly batchTime: number;
  /** Per input stream id: its record count and metadata (offset ranges, file lists) for this batch. */
  readonly inputs: ReadonlyMap<number, StreamInputInfo>;
}

/**
 * A destination for the records of a DStream, attached with `stream.to(sink)`. `open` runs
 * before the first write, `write` once per partition of every batch, `close` when the
 * context stops. Transactional sinks also implement the batch hooks.
 */
export interface Sink<T> {
  /** What a rewrite of a batch does; see {@link SinkGuarantee}. */
  readonly guarantee: SinkGuarantee;
  /** A short name for logs and listener events. */
  readonly name?: string;
  open?(): Promise<void> | void;
  write(records: readonly T[], context: SinkWriteContext): Promise<void> | void;
  close?(): Promise<void> | void;
  /** Called before the first write of a batch. */
  beginBatch?(batch: SinkBatchContext): Promise<void> | void;
  /** Called after the last write of a batch succeeded: make it visible. */
  commitBatch?(batch: SinkBatchContext): Promise<void> | void;
  /** Called when a write of a batch failed: discard what was written for it. */
  abortBatch?(batch: SinkBatchContext, error: unknown): Promise<void> | void;
}
