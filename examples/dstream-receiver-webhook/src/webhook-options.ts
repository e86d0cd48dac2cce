import {
  ACK_MODES,
  ConfigurationError,
  RecordDecoding,
  requireKnownOptions,
  requireNonEmptyString,
  requireOneOf,
  requirePositiveInteger,
  requirePositiveNumber,
  resolveDecoder,
  silentLogger,
  type AckMode,
  type DecodeErrorPolicy,
  type Decoder,
  type DecoderName,
} from '@dstream/core';

/** How a request body is cut into records. */
export type WebhookFraming = 'body' | 'lines';

/** Settings of a webhook stream; only `port` is required. */
export interface WebhookStreamOptions<T> {
  /**
   * The TCP port to listen on, 1 to 65535; or 0 for a free port chosen at the first start and
   * kept across restarts (read it from `receiver.port`).
   */
  readonly port: number;
  /** The interface to listen on (default `'127.0.0.1'`; `'0.0.0.0'` for every interface). */
  readonly host?: string;
  /** The path requests must be posted to (default `'/'`); the query string is ignored. */
  readonly path?: string;
  /**
   * `'body'` (default): the whole body is one record. `'lines'`: every non-empty line is one
   * record, as in newline-delimited JSON.
   */
  readonly framing?: WebhookFraming;
  /** How a payload becomes a record: `'json'` (default), `'string'`, `'buffer'` or a function. */
  readonly decode?: DecoderName | Decoder<T>;
  /**
   * A payload that cannot be decoded: `'fail'` (default) answers the request 400 and stores
   * nothing of it; `'skip'` stores the rest; `deadLetter(sink)` writes it to a sink first.
   */
  readonly onDecodeError?: DecodeErrorPolicy;
  /** The largest body accepted, in bytes (default 1 MiB); a larger one is answered 413. */
  readonly maxBodyBytes?: number;
  /**
   * Requests being read, stored or awaiting acknowledgement at once (default 64); more are
   * answered 503 with `Retry-After`, which is how the receiver slows its clients down.
   */
  readonly maxPendingRequests?: number;
  /** The `Retry-After` of 503 answers, in seconds (default 1). */
  readonly retryAfter?: number;
  /**
   * When a request is answered 200: `'stored'` (default) once its records are stored,
   * `'processed'` once every output of the batch holding them succeeded.
   */
  readonly ackOn?: AckMode;
  /** Records per second the receiver may store (default: the context's `maxRate`). */
  readonly maxRate?: number;
}

/** The settings with defaults applied, validated. */
export interface ResolvedWebhookOptions<T> {
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly framing: WebhookFraming;
  readonly decoder: Decoder<T>;
  readonly onDecodeError: DecodeErrorPolicy;
  readonly maxBodyBytes: number;
  readonly maxPendingRequests: number;
  readonly retryAfter: number;
  readonly ackOn: AckMode;
  readonly maxRate: number | undefined;
}

const KNOWN_OPTIONS = [
  'port',
  'host',
  'path',
  'framing',
  'decode',
  'onDecodeError',
  'maxBodyBytes',
  'maxPendingRequests',
  'retryAfter',
  'ackOn',
  'maxRate',
];

/** Validates webhook options and fills in the defaults; a bad value fails naming the option. */
export function resolveWebhookOptions<T>(
  options: WebhookStreamOptions<T>,
): ResolvedWebhookOptions<T> {
  requireKnownOptions(options, KNOWN_OPTIONS, 'webhook');
  const port = options.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(
      'port',
      port,
      'expected a whole number from 0 (any free port) to 65535',
    );
  }
  const path = requireNonEmptyString('path', options.path ?? '/');
  if (!path.startsWith('/') || path.includes('?')) {
    throw new ConfigurationError(
      'path',
      path,
      "expected a path starting with '/', without a query string",
    );
  }
  const onDecodeError = options.onDecodeError ?? 'fail';
  // Validates the policy the way every connector does.
  new RecordDecoding<unknown>(() => undefined, onDecodeError, silentLogger);
  const retryAfter = options.retryAfter ?? 1;
  if (typeof retryAfter !== 'number' || !Number.isInteger(retryAfter) || retryAfter < 0) {
    throw new ConfigurationError(
      'retryAfter',
      retryAfter,
      'expected a whole number of seconds, 0 or more',
    );
  }
  return {
    port,
    host: requireNonEmptyString('host', options.host ?? '127.0.0.1'),
    path,
    framing: requireOneOf<WebhookFraming>('framing', options.framing ?? 'body', ['body', 'lines']),
    decoder: resolveDecoder<T>('decode', options.decode, 'json'),
    onDecodeError,
    maxBodyBytes: requirePositiveInteger('maxBodyBytes', options.maxBodyBytes ?? 1024 * 1024),
    maxPendingRequests: requirePositiveInteger(
      'maxPendingRequests',
      options.maxPendingRequests ?? 64,
    ),
    retryAfter,
    ackOn: requireOneOf<AckMode>('ackOn', options.ackOn ?? 'stored', ACK_MODES),
    maxRate:
      options.maxRate === undefined ? undefined : requirePositiveNumber('maxRate', options.maxRate),
  };
}
