import type { ReceiverInputSource } from '../dstream/receiver-input-dstream.js';
import type { ListenerBus } from '../listener/listener-bus.js';
import type { ReceiverInfo } from '../listener/batch-info.js';
import type { Block } from '../receiver/block.js';
import {
  ReceiverSupervisor,
  type ReceiverSupervisorOptions,
} from '../receiver/receiver-supervisor.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ReceivedBlockTracker } from './received-block-tracker.js';

/** A receiver stream as the tracker knows it. */
export interface TrackedReceiver {
  readonly streamId: number;
  readonly source: ReceiverInputSource<unknown>;
}

/**
 * Starts and stops the supervisors of every receiver stream, stores their blocks in the
 * received-block tracker, and acknowledges processed blocks to receivers in `ackOn: 'processed'`
 * mode.
 */
export class ReceiverTracker {
  private readonly supervisors = new Map<number, ReceiverSupervisor<unknown>>();

  constructor(
    private readonly blockTracker: ReceivedBlockTracker,
    private readonly clock: Clock,
    private readonly listenerBus: ListenerBus,
    private readonly logger: Logger,
    /** Stores a block durably (write-ahead log) before it is tracked; resolves once stored. */
    private readonly persistBlock: (block: Block<unknown>) => Promise<void> | void = () =>
      undefined,
  ) {}

  /**
   * Starts a supervisor for every receiver; `initialRateOf` gives the rate a receiver starts
   * with (backpressure's initial rate), set before the receiver can store anything.
   */
  start(
    receivers: readonly TrackedReceiver[],
    defaults: Omit<ReceiverSupervisorOptions, 'maxRate'> & { maxRate: number },
    initialRateOf?: (streamId: number) => number | undefined,
  ): void {
    for (const { streamId, source } of receivers) {
      const options: ReceiverSupervisorOptions = {
        ...defaults,
        maxRate: source.options.maxRate ?? defaults.maxRate,
      };
      const supervisor = new ReceiverSupervisor<unknown>(
        source.receiver,
        streamId,
        options,
        (block) => this.storeBlock(block),
        this.clock,
        this.listenerBus,
        this.logger,
      );
      this.supervisors.set(streamId, supervisor);
      const initialRate = initialRateOf?.(streamId);
      if (initialRate !== undefined) supervisor.setRateLimit(initialRate);
      supervisor.start();
    }
  }

  /**
   * Persists a block (when a write-ahead log is on) and then tracks it. Without persistence the
   * block is tracked at once, so a batch cut right after a block includes it.
   */
  private storeBlock(block: Block<unknown>): Promise<void> | void {
    const persisted = this.persistBlock(block);
    if (persisted instanceof Promise)
      return persisted.then(() => this.blockTracker.addBlock(block));
    this.blockTracker.addBlock(block);
  }

  /** Stops every receiver and waits until what they stored is in blocks. */
  async stop(): Promise<void> {
    await Promise.all([...this.supervisors.values()].map((supervisor) => supervisor.stop()));
  }

  /** Cuts every receiver's buffered records into a block now (at a batch's time). */
  flushBlocks(): void {
    for (const supervisor of this.supervisors.values()) supervisor.flushBlock();
  }

  /** Tells every receiver the context is stopping, after the final acknowledgements. */
  async close(): Promise<void> {
    await Promise.all([...this.supervisors.values()].map((supervisor) => supervisor.close()));
  }

  /** Acknowledges the blocks of a processed batch to receivers that wait for processing. */
  async onBatchProcessed(blockIdsByStream: ReadonlyMap<number, readonly string[]>): Promise<void> {
    for (const [streamId, blockIds] of blockIdsByStream) {
      await this.supervisors.get(streamId)?.acknowledgeProcessed(blockIds);
    }
  }

  /** Every receiver's current state. */
  receiverInfos(): ReceiverInfo[] {
    return [...this.supervisors.values()].map((supervisor) => supervisor.info);
  }

  /** The supervisor of a receiver stream (for the rate controller and tests). */
  supervisorOf(streamId: number): ReceiverSupervisor<unknown> | undefined {
    return this.supervisors.get(streamId);
  }
}
