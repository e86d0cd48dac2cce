import {
  ConfigurationError,
  requirePositiveInteger,
  requirePositiveNumber,
  silentLogger,
  type DecodeErrorPolicy,
  type DStream,
  type Logger,
  type StreamingContext,
  requireKnownOptions,
} from '@dstream/core';
import {
  CONNECTION_OPTION_NAMES,
  resolveConnection,
  type ConnectionOptions,
} from './connection/connection-options.js';
import { receiverStreamOptions } from './receiver/receiver-stream-options.js';
import { SocketTextReceiver } from './receiver/socket-text-receiver.js';
import { LINE_ENCODINGS } from './receiver/line-framer.js';

/** Settings of {@link socketTextStream}; every one is optional. */
export interface SocketTextStreamOptions extends ConnectionOptions {
  /**
   * The text encoding of the bytes (default `'utf8'`): `'utf8'`, `'latin1'`, `'ascii'` or
   * `'utf16le'`. UTF-8 is validated: a line with invalid bytes is a decode failure.
   */
  readonly encoding?: BufferEncoding;
  /**
   * What to do with a line that is not valid text (default `'fail'`: the receiver restarts):
   * `'skip'` (counted and logged) or `deadLetter(sink)` (the line's bytes are written there).
   */
  readonly onDecodeError?: DecodeErrorPolicy;
  /**
   * The longest line accepted, in characters (default 1 048 576). A longer line is reported,
   * counted and discarded up to its newline; memory never holds more than this of one line.
   */
  readonly maxLineLength?: number;
  /** Records per second the receiver may store (default: the context's `maxRate`). */
  readonly maxRate?: number;
}

const KNOWN_OPTIONS = [
  'encoding',
  'onDecodeError',
  'maxLineLength',
  'maxRate',
  ...CONNECTION_OPTION_NAMES,
];

/**
 * A stream of the lines a TCP server sends (Spark's `socketTextStream`): the receiver connects
 * to `host:port` as a client (over TLS with the `tls` option), one record per `\n`-terminated
 * line (a `\r` before the newline is removed). A line that is not valid UTF-8 is a decode
 * failure under `onDecodeError`. It reconnects with capped exponential backoff when the server is not there yet or
 * goes away. TCP cannot replay, so the stream is unreliable: data sent while the receiver is
 * disconnected or stopped is not received.
 *
 * @example
 * ```ts
 * // In another terminal: nc -lk 9999
 * const lines = socketTextStream(ssc, 'localhost', 9999);
 * lines.flatMap((line) => line.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b).print();
 * ```
 */
export function socketTextStream(
  ssc: StreamingContext,
  host: string,
  port: number,
  options: SocketTextStreamOptions = {},
): DStream<string> {
  return ssc.receiverStream(
    createSocketTextReceiver(host, port, options, ssc.logger),
    receiverStreamOptions(options.maxRate),
  );
}

/**
 * The receiver behind {@link socketTextStream}, validated, for `ssc.receiverStream(receiver)`:
 * use it to keep a handle on the receiver (its connection and discarded-line counts).
 */
export function createSocketTextReceiver(
  host: string,
  port: number,
  options: SocketTextStreamOptions = {},
  logger?: Logger,
): SocketTextReceiver {
  requireKnownOptions(options, KNOWN_OPTIONS, 'socketTextStream');
  const connection = resolveConnection(host, port, options);
  const encoding = options.encoding ?? 'utf8';
  if (typeof encoding !== 'string' || !LINE_ENCODINGS.includes(encoding.toLowerCase())) {
    throw new ConfigurationError(
      'encoding',
      encoding,
      "expected a text encoding in which lines end with a newline: 'utf8', 'latin1', 'ascii' or 'utf16le'",
    );
  }
  const maxLineLength = requirePositiveInteger(
    'maxLineLength',
    options.maxLineLength ?? 1024 * 1024,
  );
  if (options.maxRate !== undefined) requirePositiveNumber('maxRate', options.maxRate);
  return new SocketTextReceiver(
    connection,
    encoding,
    maxLineLength,
    options.onDecodeError ?? 'fail',
    logger ?? silentLogger,
  );
}
