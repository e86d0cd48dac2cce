import {
  ConfigurationError,
  ManualClock,
  StreamingContext,
  requireNonNegativeInteger,
  requirePositiveInteger,
  type DStream,
  type StopOptions,
  type StreamingContextOptions,
} from '@dstream/core';
import { BatchOutputs } from './batch-outputs.js';

/** Settings of a {@link createTestContext | test context}: the context's options, clock excepted. */
export interface TestContextOptions extends Omit<
  StreamingContextOptions,
  'batchInterval' | 'clock'
> {
  /** Time between two batches, in milliseconds (default 1000). */
  readonly batchInterval?: number;
  /** The manual clock's time before `start()`, in milliseconds (default 0: batches at 1000, 2000, …). */
  readonly startTime?: number;
}

/** An input stream fed from the test: each {@link push} is the content of one later batch. */
export interface TestInput<T> {
  /** The stream; transform it and attach outputs before the context starts. */
  readonly stream: DStream<T>;
  /**
   * Queues the records of one batch: the next batch time without queued records takes them.
   * Calling it several times before advancing queues several batches, one per interval.
   */
  push(records: readonly T[]): void;
  /** How many pushed batches no batch has taken yet. */
  readonly pending: number;
}

/**
 * A streaming context on a manual clock, with queue inputs and collected outputs: the way to
 * test a streaming program deterministically, with vitest, node:test or any other runner.
 * Batches run only when the test advances the clock, and {@link advance} resolves once they
 * completed, so assertions see exact per-batch outputs.
 */
export interface TestContext {
  /** The context under test (define inputs, transformations and outputs on it). */
  readonly ssc: StreamingContext;
  /** The manual clock that drives it. */
  readonly clock: ManualClock;
  /** The batch interval in milliseconds. */
  readonly batchInterval: number;
  /** The time of the latest batch run so far, or the zero time before the first. */
  readonly currentBatchTime: number;
  /** A stream whose batches are `batches`, one per interval, then whatever {@link TestInput.push} adds. */
  queue<T>(batches?: readonly (readonly T[])[]): TestInput<T>;
  /** Collects every batch of `stream` for assertions; call before the context starts. */
  collect<T>(stream: DStream<T>): BatchOutputs<T>;
  /** Starts the context (done by the first {@link advance} when not called). */
  start(): void;
  /**
   * Moves the clock forward by `batches` batch intervals (default 1), one at a time, and
   * resolves once each of those batches completed. Starts the context first if needed.
   */
  advance(batches?: number): Promise<void>;
  /** Stops the context (default: at once); safe to call twice. Call it in `afterEach`. */
  stop(options?: StopOptions): Promise<void>;
}

/**
 * Creates a {@link TestContext}: a `StreamingContext` on a `ManualClock` (batch interval 1 s
 * unless given), with helpers to feed queue inputs and collect outputs per batch.
 *
 * @example
 * ```ts
 * const tc = createTestContext();
 * const lines = tc.queue([['a b', 'b']]);
 * const counts = tc.collect(lines.stream.flatMap((l) => l.split(' ')).countByValue());
 * await tc.advance();
 * assert.deepEqual(counts.sorted(), [[['a', 1], ['b', 2]]]);
 * await tc.stop();
 * ```
 */
export function createTestContext(options: TestContextOptions = {}): TestContext {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError(
      'options',
      options,
      'expected an object of StreamingContext options',
    );
  }
  if ('clock' in options) {
    throw new ConfigurationError(
      'clock',
      (options as { clock?: unknown }).clock,
      'a test context always runs on its own ManualClock; omit clock',
    );
  }
  const { startTime = 0, batchInterval = 1000, ...contextOptions } = options;
  requireNonNegativeInteger('startTime', startTime);
  requirePositiveInteger('batchInterval', batchInterval);
  const clock = new ManualClock(startTime);
  const ssc = new StreamingContext({ ...contextOptions, batchInterval, clock });
  return new ManualTestContext(ssc, clock, batchInterval);
}

class ManualTestContext implements TestContext {
  constructor(
    readonly ssc: StreamingContext,
    readonly clock: ManualClock,
    readonly batchInterval: number,
  ) {}

  get currentBatchTime(): number {
    const zeroTime = this.ssc.zeroTime;
    if (zeroTime === undefined)
      return Math.floor(this.clock.now() / this.batchInterval) * this.batchInterval;
    return (
      zeroTime + Math.floor((this.clock.now() - zeroTime) / this.batchInterval) * this.batchInterval
    );
  }

  queue<T>(batches: readonly (readonly T[])[] = []): TestInput<T> {
    if (!Array.isArray(batches)) {
      throw new ConfigurationError(
        'batches',
        batches,
        'expected an array of record arrays, one per batch',
      );
    }
    const queue: (readonly T[])[] = batches.map((records, index) =>
      requireRecords(records, `batches[${index}]`),
    );
    const stream = this.ssc.queueStream<T>(queue);
    return {
      stream,
      push(records: readonly T[]): void {
        queue.push(requireRecords(records, 'records'));
      },
      get pending(): number {
        return queue.length;
      },
    };
  }

  collect<T>(stream: DStream<T>): BatchOutputs<T> {
    return BatchOutputs.of(stream);
  }

  start(): void {
    this.ssc.start();
  }

  async advance(batches = 1): Promise<void> {
    requirePositiveInteger('batches', batches);
    if (this.ssc.state === 'initialized') this.ssc.start();
    for (let i = 0; i < batches; i++) {
      this.clock.advance(this.batchInterval);
      await this.ssc.awaitIdle();
    }
  }

  stop(options?: StopOptions): Promise<void> {
    return this.ssc.stop(options);
  }
}

function requireRecords<T>(records: readonly T[], option: string): readonly T[] {
  if (!Array.isArray(records))
    throw new ConfigurationError(option, records, 'expected an array of the records of one batch');
  return records;
}
