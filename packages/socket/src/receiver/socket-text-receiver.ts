import type { ResolvedConnection } from '../connection/connection-options.js';
import { SocketError } from '../socket-error.js';
import { LineFramer } from './line-framer.js';
import { SocketReceiver } from './socket-receiver.js';

/**
 * Receives lines of text from a TCP server (Spark's socket text receiver): one record per line,
 * decoded with `encoding`. A line longer than `maxLineLength` characters is reported (a
 * `SOCKET_LINE_TOO_LONG` error naming the server and the length), counted in
 * {@link discardedLines}, and discarded up to the next newline; the lines after it flow on.
 */
export class SocketTextReceiver extends SocketReceiver<string, string> {
  private discarded = 0;

  protected readonly emit = (line: string): boolean => this.store(line);

  constructor(
    connection: ResolvedConnection,
    readonly encoding: BufferEncoding,
    readonly maxLineLength: number,
  ) {
    super(
      connection,
      new LineFramer(encoding, maxLineLength, (length, complete) =>
        this.onLineTooLong(length, complete),
      ),
    );
  }

  override get name(): string {
    return `SocketTextReceiver(${this.address})`;
  }

  /** Lines discarded because they were longer than `maxLineLength`. */
  get discardedLines(): number {
    return this.discarded;
  }

  private onLineTooLong(length: number, complete: boolean): void {
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
