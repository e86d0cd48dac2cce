import { claimDeadLetterSink } from '../sink/sink-roles.js';
import type { Sink } from '../sink/sink.js';
import { ConfigurationError, DecodeError, DStreamError } from '../util/errors.js';
import { loggerBindings, type Logger } from '../util/logger.js';
import { requirePositiveInteger } from '../util/validation.js';
import {
  DEFAULT_MAX_BUFFERED_DEAD_LETTERS,
  DeadLetterChannel,
  type DeadLetterOwner,
} from './dead-letter-channel.js';
import {
  noteUnreportedDecodeFailures,
  type DecodeFailureReporter,
  type UnreportedDecodeFailures,
} from './decode-failure-ledger.js';

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
  /** Dead letters held before they are written without waiting for the batch. */
  readonly maxBuffered: number;
}

/** Settings of {@link deadLetter}. */
export interface DeadLetterOptions {
  /**
   * Dead letters held for the sink before they are written without waiting for the next batch
   * (default 10 000).
   */
  readonly maxBuffered?: number;
}

/**
 * What a stream does with a record it cannot decode: `'fail'` (the default) raises a
 * {@link DecodeError} naming the record's source; `'skip'` drops it, counted and logged;
 * `deadLetter(sink)` writes it to a sink. Nothing is dropped silently.
 */
export type DecodeErrorPolicy = 'fail' | 'skip' | DeadLetterPolicy;

/**
 * A dead-letter policy writing undecodable records to `sink`. The letters of a batch are written
 * together, once per batch, under the batch's time (and at once when a reliable receiver needs
 * them stored before it acknowledges its source, or when `maxBuffered` are waiting): every write
 * has an identity of its own, so an idempotent sink never replaces earlier letters. The sink
 * must not also receive a stream's output (`to(sink)`): both would write under the same times.
 */
export function deadLetter(
  sink: Sink<DeadLetterRecord>,
  options: DeadLetterOptions = {},
): DeadLetterPolicy {
  if (sink === null || typeof sink !== 'object' || typeof sink.write !== 'function') {
    throw new ConfigurationError('deadLetter sink', sink, 'expected a Sink with a write() method');
  }
  const maxBuffered = requirePositiveInteger(
    'deadLetter maxBuffered',
    options.maxBuffered ?? DEFAULT_MAX_BUFFERED_DEAD_LETTERS,
  );
  claimDeadLetterSink(sink);
  return { kind: 'deadLetter', sink, maxBuffered };
}

/** Settings of a {@link RecordDecoding}. */
export interface RecordDecodingOptions {
  /**
   * The input stream the records belong to, so that its failures show in that stream's
   * `BatchInfo` input. A receiver's own logger (`this.logger`) carries it already.
   */
  readonly streamId?: number;
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
 *
 * Failures are counted ({@link counts}); the engine collects them once per batch into the
 * stream's `BatchInfo` input (`decodeFailures`) and logs one summary warning per stream and
 * batch (how many, and the first error), never one line per record. Dead letters go through the
 * sink's dead-letter channel: buffered (boundedly) and written once per batch.
 */
export class RecordDecoding<T> implements DecodeFailureReporter, DeadLetterOwner {
  /** Returned by {@link decode} when the record was skipped or dead-lettered. */
  static readonly SKIPPED: unique symbol = Symbol('skipped');
  readonly counts: DecodeFailureCounts = { failed: 0, skipped: 0, deadLettered: 0 };
  private streamIdValue: number | undefined;
  private readonly channel: DeadLetterChannel | undefined;
  private unreportedSkipped = 0;
  private unreportedDeadLettered = 0;
  private firstUnreportedError = '';
  private firstUnreportedSource = '';
  /** Failed dead-letter writes since the last {@link pendingDeadLetters}, and the first error. */
  private failedWrites = 0;
  private firstWriteError: unknown;

  constructor(
    private readonly decoder: (payload: Buffer) => T,
    readonly policy: DecodeErrorPolicy,
    private readonly logger: Logger,
    options: RecordDecodingOptions = {},
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
    if (typeof policy === 'object') {
      this.channel = DeadLetterChannel.of(
        policy.sink,
        policy.maxBuffered ?? DEFAULT_MAX_BUFFERED_DEAD_LETTERS,
      );
    }
    const bound = loggerBindings(logger)?.streamId;
    this.streamIdValue = options.streamId ?? (typeof bound === 'number' ? bound : undefined);
  }

  /** The input stream whose `BatchInfo` input shows these failures, when known. */
  get streamId(): number | undefined {
    return this.streamIdValue;
  }

  /** Says which input stream the records belong to (when it was not known at construction). */
  bindStream(streamId: number): void {
    this.streamIdValue = streamId;
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

  /**
   * Writes the dead letters handed over so far (with every other letter waiting for the same
   * sink, in one write) and resolves once they are stored; rejects with `DEAD_LETTER_FAILED`
   * when a write of this decoder's letters failed since the last call (the next call starts
   * afresh). Reliable connectors await it before acknowledging their source.
   */
  async pendingDeadLetters(): Promise<void> {
    if (this.channel !== undefined) await this.channel.flush().catch(ignore);
    const failedWrites = this.failedWrites;
    if (failedWrites === 0) return;
    const cause = this.firstWriteError;
    this.failedWrites = 0;
    this.firstWriteError = undefined;
    throw new DStreamError(
      'DEAD_LETTER_FAILED',
      `${failedWrites} write(s) of dead letters to the dead-letter sink failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
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
    if (this.unreportedSkipped === 0 && this.unreportedDeadLettered === 0) {
      this.firstUnreportedError = message;
      this.firstUnreportedSource = source;
      noteUnreportedDecodeFailures(this);
    }
    if (policy === 'skip') {
      this.counts.skipped++;
      this.unreportedSkipped++;
      return RecordDecoding.SKIPPED;
    }
    this.counts.deadLettered++;
    this.unreportedDeadLettered++;
    this.channel!.offer({ source, payload, error: message, time: Date.now() }, this);
    return RecordDecoding.SKIPPED;
  }

  /**
   * The failures since the last call, and forgets them; the engine calls it once per batch.
   *
   * @internal
   */
  takeUnreportedFailures(): UnreportedDecodeFailures | undefined {
    const skipped = this.unreportedSkipped;
    const deadLettered = this.unreportedDeadLettered;
    if (skipped === 0 && deadLettered === 0) return undefined;
    this.unreportedSkipped = 0;
    this.unreportedDeadLettered = 0;
    return {
      streamId: this.streamIdValue,
      logger: this.logger,
      skipped,
      deadLettered,
      firstError: this.firstUnreportedError,
      firstSource: this.firstUnreportedSource,
    };
  }

  /**
   * Told by the dead-letter channel that a write holding letters of this decoder failed.
   *
   * @internal
   */
  deadLetterWriteFailed(error: unknown): void {
    if (this.failedWrites++ === 0) this.firstWriteError = error;
    this.logger.error(
      { err: error, sink: this.channel?.sink.name },
      'Dead letters could not be written to the dead-letter sink',
    );
  }
}

function ignore(): void {}
