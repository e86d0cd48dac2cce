import { RecordDecoding } from '@dstream/core';
import type { ResolvedConnection } from '../connection/connection-options.js';
import { messageOf, SocketError } from '../socket-error.js';
import { LengthPrefixedFramer } from './length-prefixed-framer.js';
import { SocketReceiver } from './socket-receiver.js';

/**
 * Receives length-prefixed binary records from a TCP server: each record is a 4-byte big-endian
 * length followed by that many bytes, decoded into a record by the stream's decoder under its
 * `onDecodeError` policy. A record larger than `maxRecordSize` bytes is reported (a
 * `SOCKET_RECORD_TOO_LARGE` error naming the server and the size), counted in
 * {@link discardedRecords} and skipped without being buffered.
 */
export class RawSocketReceiver<T> extends SocketReceiver<Buffer, T> {
  private discarded = 0;
  private recordNumber = 0;
  private readonly describeSource = (): string =>
    `socket ${this.address} record ${this.recordNumber}`;

  protected readonly emit = (payload: Buffer): boolean => {
    this.recordNumber++;
    const record = this.decoding.decode(payload, this.describeSource);
    if (record === RecordDecoding.SKIPPED) {
      this.watchDeadLetters();
      return true;
    }
    return this.store(record);
  };

  constructor(
    connection: ResolvedConnection,
    private readonly decoding: RecordDecoding<T>,
    readonly maxRecordSize: number,
  ) {
    super(
      connection,
      new LengthPrefixedFramer(maxRecordSize, (size) => this.onRecordTooLarge(size)),
    );
  }

  override get name(): string {
    return `RawSocketReceiver(${this.address})`;
  }

  /** Records skipped because they were larger than `maxRecordSize`. */
  get discardedRecords(): number {
    return this.discarded;
  }

  /** Records that could not be decoded: skipped or dead-lettered. */
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
        `Record ${this.recordNumber} from ${this.address} is ${size} bytes, larger than maxRecordSize ${this.maxRecordSize}; it is skipped (${this.discarded} skipped so far)`,
      ),
    );
  }

  /** Reports a dead-letter sink that fails, rather than leaving its rejection unhandled. */
  private watchDeadLetters(): void {
    if (this.decoding.policy === 'skip') return;
    this.decoding.pendingDeadLetters().catch((error: unknown) => {
      this.reportError(
        new SocketError(
          'DEAD_LETTER_FAILED',
          this.address,
          `Cannot write an undecodable record from ${this.address} to the dead-letter sink: ${messageOf(error)}`,
          {
            cause: error,
          },
        ),
      );
    });
  }
}
