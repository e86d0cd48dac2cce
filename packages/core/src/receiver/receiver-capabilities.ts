/**
 * What a receiver promises. The conformance suite in `@dstream/testkit` reads these to decide
 * which cases apply.
 */
export interface ReceiverCapabilities {
  /** Acknowledges its source only after the data is stored: nothing is lost on a crash. */
  readonly reliable: boolean;
  /** Its source can deliver again what was not acknowledged. */
  readonly replayable: boolean;
  /** Records are stored in the order the source delivered them. */
  readonly ordered: boolean;
}

/**
 * When a receiver's source is acknowledged:
 * - `'stored'`: once the block holding the record is stored (and written to the write-ahead log
 *   when it is on). Spark's semantics; zero loss requires the write-ahead log.
 * - `'processed'`: once every output operation of the batch holding the record has finished:
 *   at-least-once end to end without a write-ahead log, for sources that redeliver.
 */
export type AckMode = 'stored' | 'processed';

/** The acknowledgement modes, for validation. */
export const ACK_MODES: readonly AckMode[] = ['stored', 'processed'];
