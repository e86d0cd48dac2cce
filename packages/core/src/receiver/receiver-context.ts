import type { Logger } from '../util/logger.js';
import type { AcknowledgeableBlock, BlockMetadata } from './block.js';

/**
 * What the engine gives a running receiver: the {@link Receiver} methods delegate here. It is
 * implemented by the receiver supervisor, or by a test harness.
 */
export interface ReceiverContext<T> {
  /** The id of the input stream this receiver feeds. */
  readonly streamId: number;
  /** The context's logger, bound to this receiver. */
  readonly logger: Logger;
  /**
   * Buffers one record into the current block. Returns `false` when the receiver should slow
   * down (rate limit reached or block queue full): the record is kept, and the receiver should
   * pause its source until {@link awaitCapacity} resolves.
   */
  store(record: T, ackToken?: unknown): boolean;
  /** Stores `records` as one block; resolves once the block is stored. */
  storeBlock(
    records: readonly T[],
    metadata?: BlockMetadata,
    ackTokens?: readonly unknown[],
  ): Promise<AcknowledgeableBlock>;
  /** Stops the receiver and starts it again after `delay` milliseconds. */
  restart(reason: string, error?: unknown, delay?: number): void;
  /** Reports a non-fatal error to listeners and logs; the receiver keeps running. */
  reportError(error: unknown): void;
  /** Whether the receiver has been asked to stop. */
  isStopped(): boolean;
  /** Resolves when the receiver may store again without exceeding its rate or queue limits. */
  awaitCapacity(): Promise<void>;
}
