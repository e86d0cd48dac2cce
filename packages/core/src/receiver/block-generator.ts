import type { Clock } from '../util/clock.js';
import { ReceiverError } from '../util/errors.js';
import type { RateLimiter } from './rate-limiter.js';

/** Where the block generator hands finished blocks: resolves once the block is stored. */
export type BlockPusher<T> = (records: T[], ackTokens: unknown[]) => Promise<unknown>;

/** Limits of a block generator. */
export interface BlockGeneratorOptions {
  /** How often the current buffer becomes a block, in milliseconds. */
  readonly blockInterval: number;
  /** Records buffered before `store()` asks the receiver to slow down. */
  readonly maxBufferedRecords: number;
  /** Blocks being stored at once before `store()` asks the receiver to slow down. */
  readonly blockQueueSize: number;
}

/**
 * Collects the records a receiver stores one at a time and cuts them into a block every block
 * interval. Memory stays bounded: past `maxBufferedRecords` records, or `blockQueueSize` blocks
 * waiting to be stored, or the rate limit, `store()` returns `false` (the record is kept) and
 * the receiver should pause until {@link awaitCapacity} resolves. A receiver that ignores this
 * and buffers ten times the limit gets an error rather than unbounded memory use.
 */
export class BlockGenerator<T> {
  private records: T[] = [];
  private ackTokens: unknown[] = [];
  private hasTokens = false;
  private pushing = 0;
  private cancelTimer: (() => void) | undefined;
  private waiters: (() => void)[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly pushes = new Set<Promise<unknown>>();

  constructor(
    private readonly options: BlockGeneratorOptions,
    private readonly clock: Clock,
    private readonly rateLimiter: RateLimiter,
    private readonly push: BlockPusher<T>,
    private readonly onPushError: (error: unknown) => void,
  ) {}

  /** Starts cutting blocks every block interval. */
  start(): void {
    const interval = this.options.blockInterval;
    const tick = (time: number): void => {
      this.flush();
      this.cancelTimer = this.clock.schedule(time + interval, () => tick(time + interval));
    };
    const first = (Math.floor(this.clock.now() / interval) + 1) * interval;
    this.cancelTimer = this.clock.schedule(first, () => tick(first));
  }

  /** Stops the timer, turns what is buffered into a last block and waits until all are stored. */
  async stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.flush();
    while (this.pushes.size > 0) await Promise.allSettled([...this.pushes]);
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.releaseWaiters();
  }

  /** Buffers one record; `false` asks the receiver to slow down. */
  store(record: T, ackToken?: unknown): boolean {
    const records = this.records;
    if (records.length >= this.options.maxBufferedRecords * 10) {
      throw new ReceiverError(
        'RECEIVER_BUFFER_FULL',
        `The receiver stored ${records.length} records in one block interval without pausing when store() returned false; limit ${this.options.maxBufferedRecords} (maxBufferedRecords)`,
      );
    }
    if (ackToken !== undefined || this.hasTokens) {
      if (!this.hasTokens) {
        this.hasTokens = true;
        this.ackTokens = new Array<unknown>(records.length);
      }
      this.ackTokens.push(ackToken);
    }
    records.push(record);
    const withinRate = this.rateLimiter.consume(1);
    return (
      withinRate &&
      records.length < this.options.maxBufferedRecords &&
      this.pushing < this.options.blockQueueSize
    );
  }

  /** Whether the receiver may store without exceeding a limit now. */
  hasCapacity(): boolean {
    return (
      this.records.length < this.options.maxBufferedRecords &&
      this.pushing < this.options.blockQueueSize &&
      this.rateLimiter.delayUntilAvailable() === 0
    );
  }

  /** Resolves once {@link hasCapacity} holds (at once if it does). */
  awaitCapacity(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.scheduleWake();
    });
  }

  /** Turns the buffered records into a block now. */
  flush(): void {
    if (this.records.length === 0) return;
    const records = this.records;
    const ackTokens = this.hasTokens ? this.ackTokens : [];
    this.records = [];
    this.ackTokens = [];
    this.hasTokens = false;
    this.pushing++;
    const pushed: Promise<void> = this.push(records, ackTokens).then(
      (): void => this.afterPush(pushed),
      (error: unknown): void => {
        this.afterPush(pushed);
        this.onPushError(error);
      },
    );
    this.pushes.add(pushed);
  }

  private afterPush(pushed: Promise<unknown>): void {
    this.pushing--;
    this.pushes.delete(pushed);
    this.wakeIfReady();
  }

  private scheduleWake(): void {
    if (this.wakeTimer !== undefined) return;
    const delay = Math.max(
      this.rateLimiter.delayUntilAvailable(),
      this.records.length >= this.options.maxBufferedRecords ? this.options.blockInterval : 0,
    );
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeIfReady();
      },
      Math.max(delay, 5),
    );
    this.wakeTimer.unref?.();
  }

  private wakeIfReady(): void {
    if (this.waiters.length === 0) return;
    if (this.hasCapacity()) this.releaseWaiters();
    else this.scheduleWake();
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
