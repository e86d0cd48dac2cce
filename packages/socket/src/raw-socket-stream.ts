import {
  ConfigurationError,
  silentLogger,
  RecordDecoding,
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
  /** The largest payload accepted, in bytes (default 1 048 576); larger ones are reported and skipped. */
  readonly maxRecordSize?: number;
  /** Records per second the receiver may store (default: the context's `maxRate`). */
  readonly maxRate?: number;
}

const KNOWN_OPTIONS = [
  'decoder',
  'onDecodeError',
  'maxRecordSize',
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
  const maxRecordSize = requirePositiveInteger(
    'maxRecordSize',
    options.maxRecordSize ?? 1024 * 1024,
  );
  if (maxRecordSize > 0xffffffff) {
    throw new ConfigurationError(
      'maxRecordSize',
      maxRecordSize,
      'expected at most 4294967295 bytes (the largest 4-byte length)',
    );
  }
  if (options.maxRate !== undefined) requirePositiveNumber('maxRate', options.maxRate);
  const decoding = new RecordDecoding(
    decoder,
    options.onDecodeError ?? 'fail',
    logger ?? silentLogger,
  );
  return new RawSocketReceiver(connection, decoding, maxRecordSize);
}
