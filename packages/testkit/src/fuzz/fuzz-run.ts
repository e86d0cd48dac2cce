import {
  deadLetter,
  type DeadLetterPolicy,
  type DStream,
  type StreamingContext,
} from '@dstream/core';
import {
  generateFuzzPayloads,
  type FuzzPayloadOptions,
  type FuzzPayloadSet,
} from './fuzz-payloads.js';
import { fuzzCount, fuzzSeed, fuzzTimeout, recordFuzzReport } from './fuzz-settings.js';
import { assertFuzzReport, FuzzTally, type FuzzLimits, type FuzzReport } from './fuzz-tally.js';
import { RssMonitor } from './rss-monitor.js';

/** Settings of a {@link FuzzRun}: those of the payloads, with the count and seed optional. */
export type FuzzRunOptions = Omit<FuzzPayloadOptions, 'seed' | 'count'> & {
  /** Payloads (default {@link fuzzCount}: `DSTREAM_FUZZ_COUNT` or 10 000). */
  readonly count?: number;
  /** The seed (default {@link fuzzSeed}: `DSTREAM_FUZZ_SEED` or a fixed one). */
  readonly seed?: number;
};

/**
 * One fuzz run of a connector, in the three steps every connector's fuzz suite takes: generate
 * the seeded payloads and start watching memory (the constructor); send them through the
 * connector ({@link send}), feeding what comes out to {@link tally} ({@link deliverFrom}, and
 * {@link deadLetters} as the stream's `onDecodeError`); then {@link finish}: wait for
 * {@link completion}, stop the context (so late duplicates show), and {@link conclude}.
 *
 * @example
 * ```ts
 * const run = new FuzzRun('socket-raw', { badKinds: ['truncated-json', 'binary'] });
 * run.deliverFrom(rawSocketStream(ssc, host, port, { decoder: 'json', onDecodeError: run.deadLetters() }));
 * ssc.start();
 * await run.send((chunk) => writeFrames(chunk));
 * await run.finish(ssc);
 * ```
 */
export class FuzzRun {
  readonly set: FuzzPayloadSet;
  readonly tally: FuzzTally;
  readonly rss: RssMonitor;

  constructor(
    /** The connector (and mode) under test, as reports name it. */
    readonly connector: string,
    options: FuzzRunOptions = {},
  ) {
    this.set = generateFuzzPayloads({
      ...options,
      count: options.count ?? fuzzCount(),
      seed: options.seed ?? fuzzSeed(),
    });
    this.tally = new FuzzTally(this.set);
    this.rss = new RssMonitor().start();
  }

  /** The decode-error policy for the stream under test: dead letters go to {@link tally}. */
  deadLetters(): DeadLetterPolicy {
    return deadLetter(this.tally.deadLetterSink());
  }

  /**
   * Hands every record of every batch of `stream` to {@link tally}, through `pick` (for
   * example the value of a Kafka record) when given.
   */
  deliverFrom<T>(stream: DStream<T>, pick?: (record: T) => unknown): void {
    stream.foreachBatch((batch) => {
      for (const record of batch.collect()) this.tally.delivered(pick ? pick(record) : record);
    });
  }

  /**
   * Waits for {@link completion}, stops the context gracefully (so that late duplicates show),
   * then {@link conclude}s.
   */
  async finish(ssc: StreamingContext, limits: FuzzLimits = {}): Promise<FuzzReport> {
    await this.completion();
    await ssc.stop({ graceful: true });
    return this.conclude(limits);
  }

  /** The payloads' bytes, in the order to send them. */
  get payloads(): Buffer[] {
    return this.set.payloads.map((payload) => payload.bytes);
  }

  /** A test timeout that fits this run's size, in milliseconds. */
  get timeout(): number {
    return fuzzTimeout(this.set.payloads.length);
  }

  /**
   * Sends the payloads in order through `sendChunk`, `chunk` at a time (default 1000), never
   * more than `maxOutstanding` (default: no limit) ahead of what the stream has handled: for
   * sources whose broker slows down with a long backlog. Start the stream first when a limit is
   * set. Rejects like {@link completion} when the stream stops making progress before `timeout`.
   */
  async send(
    sendChunk: (payloads: Buffer[]) => Promise<unknown>,
    options: {
      readonly chunk?: number;
      readonly maxOutstanding?: number;
      readonly timeout?: number;
    } = {},
  ): Promise<void> {
    const chunk = options.chunk ?? 1000;
    const maxOutstanding = options.maxOutstanding ?? Infinity;
    const deadline = Date.now() + (options.timeout ?? this.timeout - 15_000);
    const payloads = this.payloads;
    for (let first = 0; first < payloads.length; first += chunk) {
      await this.until(() => first - this.tally.handled <= maxOutstanding, deadline);
      await sendChunk(payloads.slice(first, first + chunk));
    }
  }

  /**
   * Resolves once every good record was delivered and every bad payload counted; rejects with
   * the progress made when that does not happen within `timeout` milliseconds.
   */
  async completion(timeout = this.timeout - 15_000): Promise<void> {
    await this.until(() => this.tally.complete, Date.now() + timeout);
  }

  private async until(condition: () => boolean, deadline: number): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error(
          `Fuzz run of ${this.connector} (seed ${this.set.seed}) stalled: after ${Date.now() - started} ms, ${this.tally.describeProgress()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Stops watching memory, records the report (for `pnpm fuzz`) and throws when the run lost,
   * duplicated or invented a record, left a bad payload uncounted or let memory grow too much.
   */
  conclude(limits: FuzzLimits = {}): FuzzReport {
    this.rss.stop();
    const report = this.tally.report(this.connector, this.rss);
    recordFuzzReport(report);
    assertFuzzReport(report, limits, this.tally.unexpectedSamples);
    return report;
  }
}
