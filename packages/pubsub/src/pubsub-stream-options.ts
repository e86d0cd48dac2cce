import {
  ACK_MODES,
  ConfigurationError,
  RecordDecoding,
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
  requireKnownOptions,
} from '@dstream/core';
import { validateClientOptions, type PubsubClientOptions } from './pubsub-client.js';

/** How message data becomes records: a built-in decoder by name, or a function. */
export type PubsubDecoderOption = DecoderName | Decoder<unknown>;

/** Flow control of the streaming pull: how much may be outstanding (received, not yet acknowledged). */
export interface PubsubFlowControl {
  /** Messages outstanding at most (default 1000). */
  readonly maxMessages?: number;
  /** Bytes of message data outstanding at most (default 100 MiB). */
  readonly maxBytes?: number;
}

/** Settings of {@link pubsubStream} and {@link PubsubReceiver}; `subscription` is required. */
export interface PubsubStreamOptions extends PubsubClientOptions {
  /** The subscription: its name in `projectId`, or its full name `projects/<project>/subscriptions/<name>`. */
  readonly subscription: string;
  /**
   * When messages are acknowledged: `'stored'` (default: once the block holding them is stored)
   * or `'processed'` (once every output of their batch succeeded).
   */
  readonly ackOn?: AckMode;
  /**
   * How much may be outstanding. Messages count until acknowledged, so with `ackOn: 'processed'`
   * this bounds what the engine holds unprocessed, and the pull pauses until batches complete.
   */
  readonly flowControl?: PubsubFlowControl;
  /**
   * The longest the client keeps extending the lease of a message it holds, in milliseconds
   * (default 3 600 000, one hour); past it the service redelivers the message.
   */
  readonly maxExtension?: number;
  /** Lower bound of the ack deadline the client asks for, in milliseconds (default: the client's, 10 s). */
  readonly minAckDeadline?: number;
  /** Upper bound of the ack deadline the client asks for, in milliseconds (default: the client's, 10 min). */
  readonly maxAckDeadline?: number;
  /** Streaming pull connections (default 5, at most `flowControl.maxMessages`). */
  readonly maxStreams?: number;
  /** The longest a received message waits before its block is stored, in milliseconds (default: the context's block interval). */
  readonly flushInterval?: number;
  /** `'string'` (default, UTF-8), `'json'`, `'buffer'` or a function from the data bytes to a record. */
  readonly decoder?: PubsubDecoderOption;
  /** What to do with data the decoder rejects: `'fail'` (default), `'skip'` or `deadLetter(sink)`. */
  readonly onDecodeError?: DecodeErrorPolicy;
  /** Records per second the receiver may store (default: the context's `maxRate`). */
  readonly maxRate?: number;
}

/** {@link PubsubStreamOptions} validated, with defaults applied. */
export interface ResolvedPubsubStreamOptions<T> extends PubsubClientOptions {
  readonly subscription: string;
  readonly ackOn: AckMode;
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly maxExtension: number;
  readonly minAckDeadline: number | undefined;
  readonly maxAckDeadline: number | undefined;
  readonly maxStreams: number;
  readonly flushInterval: number;
  readonly decoder: Decoder<T>;
  readonly onDecodeError: DecodeErrorPolicy;
  readonly maxRate: number | undefined;
}

const KNOWN_OPTIONS = new Set([
  'subscription',
  'projectId',
  'pubsub',
  'clientConfig',
  'ackOn',
  'flowControl',
  'maxExtension',
  'minAckDeadline',
  'maxAckDeadline',
  'maxStreams',
  'flushInterval',
  'decoder',
  'onDecodeError',
  'maxRate',
]);

/** The flush interval of a receiver created without a context's block interval to default to. */
export const DEFAULT_FLUSH_INTERVAL = 200;

/** Validates receiver settings and applies defaults; a bad value fails naming the option. */
export function resolvePubsubStreamOptions<T>(
  options: PubsubStreamOptions,
  defaults: { readonly flushInterval?: number } = {},
): ResolvedPubsubStreamOptions<T> {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError(
      'options',
      options,
      'expected an object with at least subscription',
    );
  }
  requireKnownOptions(options, KNOWN_OPTIONS, 'pubsubStream');
  const subscription = requireNonEmptyString('subscription', options.subscription);
  validateClientOptions(options);
  if (
    subscription.startsWith('projects/') &&
    !/^projects\/[^/]+\/subscriptions\/[^/]+$/.test(subscription)
  ) {
    throw new ConfigurationError(
      'subscription',
      subscription,
      'expected a name, or projects/<project>/subscriptions/<name>',
    );
  }
  const ackOn = requireOneOf('ackOn', options.ackOn ?? 'stored', ACK_MODES);
  const flowControl = options.flowControl ?? {};
  if (flowControl === null || typeof flowControl !== 'object') {
    throw new ConfigurationError(
      'flowControl',
      flowControl,
      'expected { maxMessages?, maxBytes? }',
    );
  }
  requireKnownOptions(flowControl, ['maxMessages', 'maxBytes'], 'flowControl', 'flowControl.');
  const maxMessages = requirePositiveInteger(
    'flowControl.maxMessages',
    flowControl.maxMessages ?? 1000,
  );
  const maxBytes = requirePositiveInteger(
    'flowControl.maxBytes',
    flowControl.maxBytes ?? 100 * 1024 * 1024,
  );
  const maxExtension = requirePositiveInteger('maxExtension', options.maxExtension ?? 3_600_000);
  const minAckDeadline =
    options.minAckDeadline === undefined
      ? undefined
      : requireAckDeadline('minAckDeadline', options.minAckDeadline);
  const maxAckDeadline =
    options.maxAckDeadline === undefined
      ? undefined
      : requireAckDeadline('maxAckDeadline', options.maxAckDeadline);
  if (
    minAckDeadline !== undefined &&
    maxAckDeadline !== undefined &&
    maxAckDeadline < minAckDeadline
  ) {
    throw new ConfigurationError(
      'maxAckDeadline',
      maxAckDeadline,
      `must be at least minAckDeadline (${minAckDeadline} ms)`,
    );
  }
  const maxStreams = requirePositiveInteger('maxStreams', options.maxStreams ?? 5);
  const flushInterval = requirePositiveInteger(
    'flushInterval',
    options.flushInterval ?? defaults.flushInterval ?? DEFAULT_FLUSH_INTERVAL,
  );
  const decoder = resolveDecoder<T>(
    'decoder',
    options.decoder as DecoderName | Decoder<T> | undefined,
  );
  const onDecodeError = options.onDecodeError ?? 'fail';
  // Validated here so that a bad policy fails when the stream is created, not on the first bad message.
  void new RecordDecoding(decoder, onDecodeError, silentLogger);
  const maxRate =
    options.maxRate === undefined ? undefined : requirePositiveNumber('maxRate', options.maxRate);
  return {
    subscription,
    projectId: options.projectId,
    pubsub: options.pubsub,
    clientConfig: options.clientConfig,
    ackOn,
    maxMessages,
    maxBytes,
    maxExtension,
    minAckDeadline,
    maxAckDeadline,
    maxStreams,
    flushInterval,
    decoder,
    onDecodeError,
    maxRate,
  };
}

/** Pub/Sub ack deadlines are whole seconds from 10 to 600. */
function requireAckDeadline(option: string, value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 10_000 ||
    value > 600_000 ||
    value % 1000 !== 0
  ) {
    throw new ConfigurationError(
      option,
      value,
      'expected whole seconds from 10 000 to 600 000 milliseconds',
    );
  }
  return value;
}
