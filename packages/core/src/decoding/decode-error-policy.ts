import type { Sink } from '../sink/sink.js';
import { ConfigurationError, DecodeError, DStreamError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/** A record that could not be decoded, as a dead-letter sink receives it. */
export interface DeadLetterRecord {
  /** Where the record came from: topic, partition and offset; file and line; … */
  readonly source: string;
  /** The raw payload. */
  readonly payload: Buffer;
  /** Why decoding failed. */
  readonly error: string;
  /** When decoding failed, in milliseconds. */
  readonly time: number;
}

/** Send undecodable records to a sink instead of failing or skipping them. */
export interface DeadLetterPolicy {
  readonly kind: 'deadLetter';
  readonly sink: Sink<DeadLetterRecord>;
}

/**
 * What a stream does with a record it cannot decode: `'fail'` (the default) raises a
 * {@link DecodeError} naming the record's source; `'skip'` drops it, counted and logged;
 * `deadLetter(sink)` writes it to a sink. Nothing is dropped silently.
 */
export type DecodeErrorPolicy = 'fail' | 'skip' | DeadLetterPolicy;

/** A dead-letter policy writing undecodable records to `sink`. */
export function deadLetter(sink: Sink<DeadLetterRecord>): DeadLetterPolicy {
  if (sink === null || typeof sink !== 'object' || typeof sink.write !== 'function') {
    throw new ConfigurationError('deadLetter sink', sink, 'expected a Sink with a write() method');
  }
  return { kind: 'deadLetter', sink };
}

/** Counts of decoding failures, per outcome. */
export interface DecodeFailureCounts {
  failed: number;
  skipped: number;
  deadLettered: number;
}

/**
 * Applies a stream's {@link DecodeErrorPolicy}. Connectors call {@link decode} for every payload;
 * it returns the record, or {@link SKIPPED} when the policy consumed the failure.
 */
export class RecordDecoding<T> {
  /** Returned by {@link decode} when the record was skipped or dead-lettered. */
  static readonly SKIPPED: unique symbol = Symbol('skipped');
  readonly counts: DecodeFailureCounts = { failed: 0, skipped: 0, deadLettered: 0 };
  private sinkOpened: Promise<void> | undefined;
  private deadLetterSequence = 0;

  constructor(
    private readonly decoder: (payload: Buffer) => T,
    readonly policy: DecodeErrorPolicy,
    private readonly logger: Logger,
  ) {
    if (
      policy !== 'fail' &&
      policy !== 'skip' &&
      (typeof policy !== 'object' || policy?.kind !== 'deadLetter')
    ) {
      throw new ConfigurationError(
        'onDecodeError',
        policy,
        "expected 'fail', 'skip' or deadLetter(sink)",
      );
    }
  }

  /**
   * The decoded record, or {@link RecordDecoding.SKIPPED}. With `'fail'` it throws a
   * {@link DecodeError}; with a dead-letter sink the returned promise of {@link pendingDeadLetters}
   * must be awaited before the source is acknowledged.
   */
  decode(payload: Buffer, source: () => string): T | typeof RecordDecoding.SKIPPED {
    try {
      return this.decoder(payload);
    } catch (error) {
      return this.onFailure(payload, source(), error);
    }
  }

  private pending: Promise<void> = Promise.resolve();
  private readonly failures: unknown[] = [];

  /**
   * Resolves once every dead letter handed over so far is written to the sink; rejects with
   * `DEAD_LETTER_FAILED` when a write failed since the last call (the next call starts afresh).
   */
  async pendingDeadLetters(): Promise<void> {
    await this.pending;
    if (this.failures.length === 0) return;
    const failures = this.failures.splice(0);
    throw new DStreamError(
      'DEAD_LETTER_FAILED',
      `${failures.length} dead letter(s) could not be written to the dead-letter sink`,
      {
        cause: failures[0],
      },
    );
  }

  private onFailure(
    payload: Buffer,
    source: string,
    error: unknown,
  ): typeof RecordDecoding.SKIPPED {
    const message = error instanceof Error ? error.message : String(error);
    const policy = this.policy;
    if (policy === 'fail') {
      this.counts.failed++;
      throw new DecodeError(source, message, { cause: error });
    }
    if (policy === 'skip') {
      this.counts.skipped++;
      this.logger.warn({ source, err: error }, 'Skipping a record that cannot be decoded');
      return RecordDecoding.SKIPPED;
    }
    this.counts.deadLettered++;
    const record: DeadLetterRecord = { source, payload, error: message, time: Date.now() };
    const sink = policy.sink;
    const sequence = this.deadLetterSequence++;
    this.sinkOpened ??= Promise.resolve(sink.open?.());
    this.pending = this.pending
      .then(() => this.sinkOpened)
      .then(() =>
        sink.write([record], { batchTime: record.time, partition: sequence, numPartitions: 1 }),
      )
      .catch((error: unknown) => {
        this.failures.push(error);
        this.sinkOpened = undefined;
      });
    return RecordDecoding.SKIPPED;
  }
}
