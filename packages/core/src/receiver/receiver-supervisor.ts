import type { ListenerBus } from '../listener/listener-bus.js';
import type { ReceiverInfo } from '../listener/batch-info.js';
import type { Clock } from '../util/clock.js';
import { ReceiverError } from '../util/errors.js';
import { childLogger, type Logger } from '../util/logger.js';
import type { AcknowledgeableBlock, Block, BlockMetadata } from './block.js';
import { BlockGenerator, type BlockGeneratorOptions } from './block-generator.js';
import { RateLimiter } from './rate-limiter.js';
import type { ReceiverContext } from './receiver-context.js';
import type { Receiver } from './receiver.js';

/** Where a supervisor stores blocks: resolves once the block is stored (and logged). */
export type BlockStore = (block: Block<unknown>) => Promise<void> | void;

/** Settings of one supervised receiver. */
export interface ReceiverSupervisorOptions extends BlockGeneratorOptions {
  /** Records per second the receiver may store; `Infinity` for no limit. */
  readonly maxRate: number;
  /** Milliseconds between a failure and the restart it causes, unless the receiver says otherwise. */
  readonly restartDelay: number;
}

/**
 * Runs one receiver: starts it, hands what it stores to the block generator and the block
 * store, acknowledges blocks per the receiver's `ackOn` mode, restarts it with a delay when it
 * fails, and reports its errors to listeners.
 */
export class ReceiverSupervisor<T> implements ReceiverContext<T> {
  readonly logger: Logger;
  private readonly blockGenerator: BlockGenerator<T>;
  private readonly rateLimiter: RateLimiter;
  private readonly awaitingProcessing = new Map<string, AcknowledgeableBlock>();
  private blockSequence = 0;
  /** Distinguishes this run's block ids from those of earlier runs recovered from the log. */
  private readonly runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  private stopped = true;
  private restarting = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastError: unknown;
  private lastErrorTime: number | undefined;

  constructor(
    private readonly receiver: Receiver<T>,
    readonly streamId: number,
    private readonly options: ReceiverSupervisorOptions,
    private readonly storeBlockInTracker: BlockStore,
    private readonly clock: Clock,
    private readonly listenerBus: ListenerBus,
    logger: Logger,
  ) {
    this.logger = childLogger(logger, { receiver: receiver.name, streamId });
    this.rateLimiter = new RateLimiter(options.maxRate);
    this.blockGenerator = new BlockGenerator<T>(
      options,
      clock,
      this.rateLimiter,
      (records, ackTokens) =>
        this.pushBlock(records, receiver.describeBlock?.(records, ackTokens), ackTokens),
      (error) => this.reportError(error),
    );
  }

  /** The receiver's current state, as listeners see it. */
  get info(): ReceiverInfo {
    return {
      streamId: this.streamId,
      name: this.receiver.name,
      active: !this.stopped,
      lastError: this.lastError,
      lastErrorMessage: this.lastError === undefined ? undefined : errorMessage(this.lastError),
      lastErrorTime: this.lastErrorTime,
    };
  }

  /** The receiver's current rate limit in records per second. */
  get rateLimit(): number {
    return this.rateLimiter.currentRate;
  }

  /** Changes the receiver's rate limit (backpressure); never above its `maxRate`. */
  setRateLimit(rate: number): void {
    this.rateLimiter.setRate(Math.min(rate, this.options.maxRate));
  }

  /** Starts the block generator and the receiver. */
  start(): void {
    this.receiver.attachContext(this);
    this.blockGenerator.start();
    this.startReceiver();
  }

  /** Stops the receiver, turns what it stored into blocks and waits until they are stored. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restarting = false;
    await this.stopReceiver();
    await this.blockGenerator.stop();
  }

  /** Cuts the records buffered so far into a block now. */
  flushBlock(): void {
    this.blockGenerator.flush();
  }

  /** Lets the receiver release what it kept for acknowledgements; the context is stopping. */
  async close(): Promise<void> {
    try {
      await this.receiver.onClose?.();
    } catch (error) {
      this.recordError(error);
      this.logger.error({ err: error }, 'onClose of receiver threw');
    }
  }

  /** Tells the receiver that the batch holding these blocks was processed (ackOn 'processed'). */
  async acknowledgeProcessed(blockIds: readonly string[]): Promise<void> {
    if (this.receiver.ackOn !== 'processed') return;
    for (const id of blockIds) {
      const block = this.awaitingProcessing.get(id);
      if (block === undefined) continue;
      this.awaitingProcessing.delete(id);
      await this.acknowledge(block);
    }
  }

  // ------------------------------------------------------------ ReceiverContext

  store(record: T, ackToken?: unknown): boolean {
    return this.blockGenerator.store(record, ackToken);
  }

  async storeBlock(
    records: readonly T[],
    metadata?: BlockMetadata,
    ackTokens?: readonly unknown[],
  ): Promise<AcknowledgeableBlock> {
    const delay = this.rateLimiter.consume(records.length)
      ? 0
      : this.rateLimiter.delayUntilAvailable();
    if (delay > 0) await sleep(delay);
    return this.pushBlock(records, metadata, ackTokens ?? []);
  }

  restart(reason: string, error?: unknown, delay: number = this.options.restartDelay): void {
    if (this.restarting || this.stopped) return;
    this.restarting = true;
    this.recordError(error ?? new ReceiverError('RECEIVER_RESTARTING', reason));
    this.logger.warn({ err: error, reason, delay }, 'Restarting receiver');
    void this.stopReceiver().then(() => {
      this.restartTimer = setTimeout(() => {
        if (!this.restarting) return;
        this.restarting = false;
        this.startReceiver();
      }, delay);
    });
  }

  reportError(error: unknown): void {
    this.recordError(error);
    this.logger.error({ err: error }, 'Receiver reported an error');
  }

  isStopped(): boolean {
    return this.stopped;
  }

  awaitCapacity(): Promise<void> {
    return this.blockGenerator.awaitCapacity();
  }

  // ------------------------------------------------------------ internals

  private startReceiver(): void {
    this.stopped = false;
    try {
      this.receiver.onStart();
      this.listenerBus.post('onReceiverStarted', { receiverInfo: this.info });
    } catch (error) {
      this.restart(`onStart of receiver ${this.receiver.name} threw`, error);
    }
  }

  private async stopReceiver(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.receiver.onStop();
    } catch (error) {
      this.recordError(error);
      this.logger.error({ err: error }, 'onStop of receiver threw');
    }
    this.listenerBus.post('onReceiverStopped', { receiverInfo: this.info });
  }

  private async pushBlock(
    records: readonly T[],
    metadata: BlockMetadata | undefined,
    ackTokens: readonly unknown[],
  ): Promise<AcknowledgeableBlock> {
    const id = `input-${this.streamId}-${this.runId}-${this.blockSequence++}`;
    const block: Block<T> = { id, streamId: this.streamId, records, metadata: metadata ?? {} };
    await this.storeBlockInTracker(block);
    const stored: AcknowledgeableBlock = {
      id,
      streamId: this.streamId,
      numRecords: records.length,
      metadata: block.metadata,
      ackTokens,
    };
    if (this.receiver.ackOn === 'stored') await this.acknowledge(stored);
    else this.awaitingProcessing.set(id, stored);
    return stored;
  }

  private async acknowledge(block: AcknowledgeableBlock): Promise<void> {
    if (this.receiver.onAcknowledge === undefined) return;
    try {
      await this.receiver.onAcknowledge(block);
    } catch (error) {
      this.reportError(
        new ReceiverError(
          'ACKNOWLEDGE_FAILED',
          `Receiver ${this.receiver.name} failed to acknowledge block ${block.id}`,
          { cause: error },
        ),
      );
    }
  }

  private recordError(error: unknown): void {
    this.lastError = error;
    this.lastErrorTime = this.clock.now();
    this.listenerBus.post('onReceiverError', { receiverInfo: this.info });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
