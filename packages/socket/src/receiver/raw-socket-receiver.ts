import { RecordDecoding, type DecodeErrorPolicy, type Decoder, type Logger } from '@dstream/core';
import type { ResolvedConnection } from '../connection/connection-options.js';
import { SocketError } from '../socket-error.js';
import { watchDeadLetters } from './dead-letter-watch.js';
import { LengthPrefixedFramer } from './length-prefixed-framer.js';
import { SocketReceiver } from './socket-receiver.js';

/** The size limits of a {@link RawSocketReceiver}, in bytes. */
export interface FrameLimits {
  /** Larger records are reported and skipped, staying in step. */
  readonly maxRecordSize: number;
  /** A larger length cannot be a real frame: the stream is out of step. */
  readonly maxFrameLength: number;
}

/**
 * Receives length-prefixed binary records from a TCP server: each record is a 4-byte big-endian
 * length followed by that many bytes, decoded into a record by the stream's decoder under its
 * `onDecodeError` policy. A record larger than `maxRecordSize` bytes is reported (a
 * `SOCKET_RECORD_TOO_LARGE` error naming the server and the size), counted in
 * {@link discardedRecords} and skipped without being buffered. A length above `maxFrameLength`
 * is a decode failure (`SOCKET_FRAME_TOO_LONG`, naming the length and the limit) under the same
 * policy: with `'fail'` the receiver restarts; with `'skip'` or a dead-letter sink it is counted
 * (the dead letter holds the bytes from the bad header on) and, since a length-prefixed stream
 * cannot find the next frame after a bad header, the connection is closed, reported and opened
 * again: what the server sent after the bad header on that connection is not received.
 */
export class RawSocketReceiver<T> extends SocketReceiver<Buffer, T> {
  private discarded = 0;
  private recordNumber = 0;
  /** The length of a header above `maxFrameLength` being rejected, or -1. */
  private rejectedLength = -1;
  private readonly decoding: RecordDecoding<T>;
  private readonly describeSource = (): string =>
    `socket ${this.address} record ${this.recordNumber}`;

  protected readonly emit = (payload: Buffer): boolean => {
    this.recordNumber++;
    const record = this.decoding.decode(payload, this.describeSource);
    if (record === RecordDecoding.SKIPPED) {
      watchDeadLetters(this, this.decoding);
      return true;
    }
    return this.store(record);
  };

  constructor(
    connection: ResolvedConnection,
    decoder: Decoder<T>,
    policy: DecodeErrorPolicy,
    logger: Logger,
    readonly limits: FrameLimits,
  ) {
    super(
      connection,
      new LengthPrefixedFramer(
        limits.maxRecordSize,
        (size) => this.onRecordTooLarge(size),
        limits.maxFrameLength,
        (length, bytes) => this.onFrameTooLong(length, bytes),
      ),
    );
    // One decoding for payloads and rejected headers, so that one policy counts them all.
    this.decoding = new RecordDecoding<T>(
      (payload) => {
        if (this.rejectedLength >= 0) throw this.frameTooLong(this.rejectedLength);
        return decoder(payload);
      },
      policy,
      logger,
    );
  }

  override get name(): string {
    return `RawSocketReceiver(${this.address})`;
  }

  /** The largest payload accepted, in bytes. */
  get maxRecordSize(): number {
    return this.limits.maxRecordSize;
  }

  /** Records skipped because they were larger than `maxRecordSize`. */
  get discardedRecords(): number {
    return this.discarded;
  }

  /** Records that could not be decoded, and lengths above `maxFrameLength`: skipped or dead-lettered. */
  get decodeFailures(): number {
    return this.decoding.counts.skipped + this.decoding.counts.deadLettered;
  }

  private onRecordTooLarge(size: number): void {
    this.recordNumber++;
    this.discarded++;
    this.reportError(
      new SocketError(
        'SOCKET_RECORD_TOO_LARGE',
        this.address,
        `Record ${this.recordNumber} from ${this.address} is ${size} bytes, larger than maxRecordSize ${this.limits.maxRecordSize}; it is skipped (${this.discarded} skipped so far)`,
      ),
    );
  }

  /** Applies the decode-error policy to a bad length, then drops the connection (out of step). */
  private onFrameTooLong(length: number, bytes: Buffer): void {
    this.recordNumber++;
    this.rejectedLength = length;
    try {
      this.decoding.decode(bytes, this.describeSource);
    } finally {
      this.rejectedLength = -1;
    }
    watchDeadLetters(this, this.decoding);
    const error = this.frameTooLong(length);
    this.reportError(error);
    this.dropConnection(error);
  }

  private frameTooLong(length: number): SocketError {
    return new SocketError(
      'SOCKET_FRAME_TOO_LONG',
      this.address,
      `Record ${this.recordNumber} from ${this.address} declares a length of ${length} bytes, more than maxFrameLength ${this.limits.maxFrameLength}: the stream is out of step (a corrupt or foreign header), so the connection is closed and opened again, and what the server sent after that header on it is not received`,
    );
  }
}
