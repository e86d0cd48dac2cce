/** What a source needs to acknowledge or replay a block, and what the UI shows per batch. */
export type BlockMetadata = Readonly<Record<string, unknown>>;

/** A unit of received data: the records one receiver stored in one block interval or call. */
export interface Block<T> {
  /** Unique within the context, such as `input-0-1700000000000-3`. */
  readonly id: string;
  /** The id of the input stream the block belongs to. */
  readonly streamId: number;
  /** The records, in the order they were stored. */
  readonly records: readonly T[];
  /** Source positions (offsets, message ids, file names) and other per-block facts. */
  readonly metadata: BlockMetadata;
}

/** A block as the engine tells a receiver about it: once stored, or once its batch is processed. */
export interface AcknowledgeableBlock {
  readonly id: string;
  readonly streamId: number;
  readonly numRecords: number;
  readonly metadata: BlockMetadata;
  /**
   * The tokens the receiver passed with `store(record, ackToken)` or `storeBlock(…, ackTokens)`,
   * in order: whatever the receiver needs to acknowledge the block's records at its source.
   * They stay in memory and are never written to the write-ahead log.
   */
  readonly ackTokens: readonly unknown[];
}
