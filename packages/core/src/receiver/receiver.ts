import { IllegalStateError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { AcknowledgeableBlock, BlockMetadata } from './block.js';
import type { AckMode, ReceiverCapabilities } from './receiver-capabilities.js';
import type { ReceiverContext } from './receiver-context.js';

/**
 * A source of live data. Subclass it, declare {@link capabilities}, start the source's async
 * work in {@link onStart} and release everything in {@link onStop}. While running, hand data
 * to the engine with {@link store} (unreliable: buffered, returns at once) or
 * {@link storeBlock} (resolves once the block is stored). A reliable receiver acknowledges its
 * source in {@link onAcknowledge}, which the engine calls per the stream's `ackOn` mode.
 *
 * @example
 * ```ts
 * class CounterReceiver extends Receiver<number> {
 *   readonly capabilities = { reliable: false, replayable: false, ordered: true };
 *   private timer?: NodeJS.Timeout;
 *   onStart() { let n = 0; this.timer = setInterval(() => this.store(n++), 10); }
 *   onStop() { clearInterval(this.timer); }
 * }
 * ```
 */
export abstract class Receiver<T> {
  /** What this receiver promises; read by the conformance suite. */
  abstract readonly capabilities: ReceiverCapabilities;

  /** When the source is acknowledged; see {@link AckMode}. */
  ackOn: AckMode = 'stored';

  /** A short name for logs, listeners and the UI. */
  get name(): string {
    return this.constructor.name;
  }

  private context: ReceiverContext<T> | undefined;

  /** Starts receiving. Must not block: start async work and return. */
  abstract onStart(): void;

  /** Stops receiving and releases every resource. Safe to call twice. */
  abstract onStop(): void | Promise<void>;

  /**
   * Called once the engine is done with a block per {@link ackOn}: after it was stored, or after
   * every output operation of its batch finished. Acknowledge or commit the source here.
   */
  onAcknowledge?(block: AcknowledgeableBlock): void | Promise<void>;

  /**
   * Called once when the context stops, after {@link onStop} and after the final batches were
   * processed and acknowledged (a graceful stop): release what `onStop` kept open to acknowledge
   * them, such as the client connection of an `ackOn: 'processed'` receiver.
   */
  onClose?(): void | Promise<void>;

  /**
   * The metadata of a block cut from records stored one at a time with {@link store}, given its
   * records and their ack tokens in order (offsets, message ids); without it such blocks have none.
   */
  describeBlock?(records: readonly T[], ackTokens: readonly unknown[]): BlockMetadata;

  /** Binds the receiver to the engine; called by the supervisor before {@link onStart}. */
  attachContext(context: ReceiverContext<T>): void {
    this.context = context;
  }

  /** The id of the input stream this receiver feeds. */
  get streamId(): number {
    return this.requireContext().streamId;
  }

  /** A logger bound to this receiver. */
  get logger(): Logger {
    return this.requireContext().logger;
  }

  /** Buffers one record into the current block; `false` asks the receiver to slow down. */
  store(record: T, ackToken?: unknown): boolean {
    return this.requireContext().store(record, ackToken);
  }

  /** Stores `records` as one block; resolves once it is stored. */
  storeBlock(
    records: readonly T[],
    metadata?: BlockMetadata,
    ackTokens?: readonly unknown[],
  ): Promise<AcknowledgeableBlock> {
    return this.requireContext().storeBlock(records, metadata, ackTokens);
  }

  /** Stops and starts the receiver again after `delay` milliseconds (the context's default if omitted). */
  restart(reason: string, error?: unknown, delay?: number): void {
    this.requireContext().restart(reason, error, delay);
  }

  /** Reports a non-fatal error; the receiver keeps running. */
  reportError(error: unknown): void {
    this.requireContext().reportError(error);
  }

  /** Whether the receiver has been asked to stop. */
  isStopped(): boolean {
    return this.context === undefined || this.context.isStopped();
  }

  /** Resolves when storing may continue without exceeding the rate or queue limits. */
  awaitCapacity(): Promise<void> {
    return this.requireContext().awaitCapacity();
  }

  private requireContext(): ReceiverContext<T> {
    if (this.context === undefined) {
      throw new IllegalStateError(
        'RECEIVER_NOT_STARTED',
        `Receiver ${this.name} is not attached to a running StreamingContext`,
      );
    }
    return this.context;
  }
}
