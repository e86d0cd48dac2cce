import { RecordDecoding, stringDecoder, type DecodeErrorPolicy, type Logger } from '@dstream/core';
import type { ResolvedConnection } from '../connection/connection-options.js';
import { SocketError } from '../socket-error.js';
import { watchDeadLetters } from './dead-letter-watch.js';
import { LineFramer } from './line-framer.js';
import { SocketReceiver } from './socket-receiver.js';

/**
 * Receives lines of text from a TCP server (Spark's socket text receiver): one record per line,
 * decoded with `encoding`. A UTF-8 line with invalid bytes is a decode failure under the
 * stream's `onDecodeError` policy, as for the `'string'` decoder (never a line with replacement
 * characters). A line longer than `maxLineLength` characters is reported (a
 * `SOCKET_LINE_TOO_LONG` error naming the server and the length), counted in
 * {@link discardedLines}, and discarded up to the next newline; the lines after it flow on.
 */
export class SocketTextReceiver extends SocketReceiver<string, string> {
  private discarded = 0;
  private lineNumber = 0;
  private readonly decoding: RecordDecoding<string>;
  private readonly describeSource = (): string => `socket ${this.address} line ${this.lineNumber}`;

  protected readonly emit = (line: string): boolean => {
    this.lineNumber++;
    return this.store(line);
  };

  constructor(
    connection: ResolvedConnection,
    readonly encoding: BufferEncoding,
    readonly maxLineLength: number,
    policy: DecodeErrorPolicy,
    logger: Logger,
  ) {
    super(
      connection,
      new LineFramer(
        encoding,
        maxLineLength,
        (length, complete) => this.onLineTooLong(length, complete),
        (bytes) => this.onUndecodable(bytes),
      ),
    );
    this.decoding = new RecordDecoding(stringDecoder, policy, logger);
  }

  override get name(): string {
    return `SocketTextReceiver(${this.address})`;
  }

  /** Lines discarded because they were longer than `maxLineLength`. */
  get discardedLines(): number {
    return this.discarded;
  }

  /** Lines that were not valid text: skipped or dead-lettered. */
  get decodeFailures(): number {
    return this.decoding.counts.skipped + this.decoding.counts.deadLettered;
  }

  /** A line with invalid UTF-8: the `'string'` decoder rejects it under the stream's policy. */
  private onUndecodable(bytes: Buffer): void {
    this.lineNumber++;
    const line = this.decoding.decode(bytes, this.describeSource);
    if (line === RecordDecoding.SKIPPED) watchDeadLetters(this, this.decoding);
    else this.store(line);
  }

  private onLineTooLong(length: number, complete: boolean): void {
    this.lineNumber++;
    this.discarded++;
    const size = complete ? `${length} characters` : `more than ${length - 1} characters`;
    this.reportError(
      new SocketError(
        'SOCKET_LINE_TOO_LONG',
        this.address,
        `A line from ${this.address} is ${size}, longer than maxLineLength ${this.maxLineLength}; it is discarded up to the next newline (${this.discarded} discarded so far)`,
      ),
    );
  }
}
