import {
  ConfigurationError,
  silentLogger,
  requirePositiveInteger,
  requirePositiveNumber,
  resolveDecoder,
  type DStream,
  type DecodeErrorPolicy,
  type Decoder,
  type DecoderName,
  type Logger,
  type StreamingContext,
  requireKnownOptions,
} from '@dstream/core';
import {
  CONNECTION_OPTION_NAMES,
  resolveConnection,
  type ConnectionOptions,
} from './connection/connection-options.js';
import { RawSocketReceiver } from './receiver/raw-socket-receiver.js';
import { receiverStreamOptions } from './receiver/receiver-stream-options.js';

/** Settings of {@link rawSocketStream}; every one is optional. */
export interface RawSocketStreamOptions extends ConnectionOptions {
  /**
   * How a payload becomes a record: `'buffer'` (default, the bytes), `'string'` (UTF-8),
   * `'json'`, or a function that throws when it cannot decode.
   */
  readonly decoder?: DecoderName | Decoder<unknown>;
  /** What to do with a payload that cannot be decoded (default `'fail'`: the receiver restarts). */
  readonly onDecodeError?: DecodeErrorPolicy;
  /**
   * The largest payload accepted, in bytes (default 1 048 576, or `maxFrameLength` when that is
   * smaller); larger ones are reported, counted and skipped without being buffered, and the
   * stream stays in step.
   */
  readonly maxRecordSize?: number;
  /**
   * The largest length a header may declare, in bytes (default 16 777 216, at most 4 294 967 295,
   * not below `maxRecordSize`). A larger length is taken for a corrupt or foreign header: a
   * decode failure under `onDecodeError`, after which the connection is closed and opened again
   * (a length-prefixed stream cannot find its next frame), rather than skipping gigabytes and
   * the valid frames in them.
   */
  readonly maxFrameLength?: number;
  /** Records per second the receiver may store (default: the context's `maxRate`). */
  readonly maxRate?: number;
}

const DEFAULT_MAX_RECORD_SIZE = 1024 * 1024;
const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

const KNOWN_OPTIONS = [
  'decoder',
  'onDecodeError',
  'maxRecordSize',
  'maxFrameLength',
  'maxRate',
  ...CONNECTION_OPTION_NAMES,
];

/**
 * A stream of length-prefixed binary records from a TCP server: the receiver connects to
 * `host:port` as a client and reads frames of a 4-byte big-endian length followed by that many
 * bytes, one record per frame. It reconnects with capped exponential backoff; like every socket
 * stream it is unreliable (TCP cannot replay).
 *
 * @example
 * ```ts
 * const events = rawSocketStream<{ type: string }>(ssc, 'localhost', 9000, { decoder: 'json', onDecodeError: 'skip' });
 * events.map((e) => e.type).countByValue().print();
 * ```
 */
export function rawSocketStream(
  ssc: StreamingContext,
  host: string,
  port: number,
  options?: RawSocketStreamOptions & { readonly decoder?: 'buffer' },
): DStream<Buffer>;
export function rawSocketStream(
  ssc: StreamingContext,
  host: string,
  port: number,
  options: RawSocketStreamOptions & { readonly decoder: 'string' },
): DStream<string>;
export function rawSocketStream<T = unknown>(
  ssc: StreamingContext,
  host: string,
  port: number,
  options: RawSocketStreamOptions & { readonly decoder: 'json' },
): DStream<T>;
export function rawSocketStream<T>(
  ssc: StreamingContext,
  host: string,
  port: number,
  options: RawSocketStreamOptions & { readonly decoder: Decoder<T> },
): DStream<T>;
export function rawSocketStream(
  ssc: StreamingContext,
  host: string,
  port: number,
  options: RawSocketStreamOptions = {},
): DStream<unknown> {
  return ssc.receiverStream(
    createRawSocketReceiver(host, port, options, ssc.logger),
    receiverStreamOptions(options.maxRate),
  );
}

/**
 * The receiver behind {@link rawSocketStream}, validated, for `ssc.receiverStream(receiver)`:
 * use it to keep a handle on the receiver (its skipped-record and decode-failure counts).
 */
export function createRawSocketReceiver(
  host: string,
  port: number,
  options: RawSocketStreamOptions = {},
  logger?: Logger,
): RawSocketReceiver<unknown> {
  requireKnownOptions(options, KNOWN_OPTIONS, 'rawSocketStream');
  const connection = resolveConnection(host, port, options);
  const decoder = resolveDecoder<unknown>('decoder', options.decoder, 'buffer');
  const maxFrameLength = requireFourByteLength(
    'maxFrameLength',
    options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
  );
  const maxRecordSize = requireFourByteLength(
    'maxRecordSize',
    options.maxRecordSize ?? Math.min(DEFAULT_MAX_RECORD_SIZE, maxFrameLength),
  );
  if (maxRecordSize > maxFrameLength) {
    throw new ConfigurationError(
      'maxRecordSize',
      maxRecordSize,
      `expected at most maxFrameLength (${maxFrameLength} bytes)`,
    );
  }
  if (options.maxRate !== undefined) requirePositiveNumber('maxRate', options.maxRate);
  return new RawSocketReceiver(
    connection,
    decoder,
    options.onDecodeError ?? 'fail',
    logger ?? silentLogger,
    { maxRecordSize, maxFrameLength },
  );
}

/** A positive whole number of bytes that a 4-byte length can express. */
function requireFourByteLength(option: string, value: unknown): number {
  const bytes = requirePositiveInteger(option, value);
  if (bytes > 0xffffffff) {
    throw new ConfigurationError(
      option,
      bytes,
      'expected at most 4294967295 bytes (the largest 4-byte length)',
    );
  }
  return bytes;
}
