import {
  ConfigurationError,
  requireOneOf,
  type DecodeErrorPolicy,
  type Decoder,
  type DecoderName,
} from '@dstream/core';
import { optionalPositiveInteger } from './option-validation.js';

/** Which records a consumer sees of transactional producers' writes. */
export type IsolationLevel = 'read_committed' | 'read_uncommitted';

/** Where partitions without a committed offset start. */
export type AutoOffsetReset = 'earliest' | 'latest';

/** Consumer settings shared by the receiver stream and the direct stream. */
export interface KafkaConsumerOptions<K, V> {
  /** How keys are decoded: `'string'` (default), `'json'`, `'buffer'` or a function. */
  readonly keyDecoder?: DecoderName | Decoder<K>;
  /** How values are decoded: `'string'` (default), `'json'`, `'buffer'` or a function. */
  readonly valueDecoder?: DecoderName | Decoder<V>;
  /** What to do with a record that cannot be decoded (default `'fail'`). */
  readonly onDecodeError?: DecodeErrorPolicy;
  /**
   * `'read_committed'` (default): records of aborted transactions and of open transactions are
   * not delivered; `'read_uncommitted'`: everything written is.
   */
  readonly isolationLevel?: IsolationLevel;
  /** Milliseconds without heartbeat after which the group drops a member (client default 30 000). */
  readonly sessionTimeout?: number;
  /** Milliseconds between heartbeats (client default 3000). */
  readonly heartbeatInterval?: number;
  /** Bytes fetched per partition per request at most (client default 1 MiB). */
  readonly maxBytesPerPartition?: number;
  /** Milliseconds a fetch waits for data at the end of the log (default 500). */
  readonly maxWaitTime?: number;
  /** Milliseconds between metadata refreshes, which is how new partitions are noticed. */
  readonly metadataMaxAge?: number;
}

/** The names of {@link KafkaConsumerOptions}, for unknown-option checks. */
export const KAFKA_CONSUMER_OPTION_NAMES: readonly string[] = [
  'keyDecoder',
  'valueDecoder',
  'onDecodeError',
  'isolationLevel',
  'sessionTimeout',
  'heartbeatInterval',
  'maxBytesPerPartition',
  'maxWaitTime',
  'metadataMaxAge',
];

/** Validated consumer tuning. */
export interface ResolvedConsumerTuning {
  readonly readUncommitted: boolean;
  readonly sessionTimeout: number | undefined;
  readonly heartbeatInterval: number | undefined;
  readonly maxBytesPerPartition: number | undefined;
  readonly maxWaitTime: number;
  readonly metadataMaxAge: number | undefined;
}

const ISOLATION_LEVELS: readonly IsolationLevel[] = ['read_committed', 'read_uncommitted'];

/** Validates the consumer tuning options; `defaultMetadataMaxAge` differs per stream kind. */
export function resolveConsumerTuning(
  options: KafkaConsumerOptions<unknown, unknown>,
  defaultMetadataMaxAge: number | undefined,
): ResolvedConsumerTuning {
  const isolation =
    options.isolationLevel === undefined
      ? 'read_committed'
      : requireOneOf('isolationLevel', options.isolationLevel, ISOLATION_LEVELS);
  const sessionTimeout = optionalPositiveInteger('sessionTimeout', options.sessionTimeout);
  const heartbeatInterval = optionalPositiveInteger('heartbeatInterval', options.heartbeatInterval);
  if (heartbeatInterval !== undefined && heartbeatInterval >= (sessionTimeout ?? 30_000)) {
    throw new ConfigurationError(
      'heartbeatInterval',
      heartbeatInterval,
      `must be below sessionTimeout (${sessionTimeout ?? 30_000} ms); about a third of it is usual`,
    );
  }
  return {
    readUncommitted: isolation === 'read_uncommitted',
    sessionTimeout,
    heartbeatInterval,
    maxBytesPerPartition: optionalPositiveInteger(
      'maxBytesPerPartition',
      options.maxBytesPerPartition,
    ),
    maxWaitTime: optionalPositiveInteger('maxWaitTime', options.maxWaitTime) ?? 500,
    metadataMaxAge:
      optionalPositiveInteger('metadataMaxAge', options.metadataMaxAge) ?? defaultMetadataMaxAge,
  };
}

/** Validates `autoOffsetReset` (default `'latest'`, as in Kafka). */
export function resolveAutoOffsetReset(value: unknown): AutoOffsetReset {
  return value === undefined
    ? 'latest'
    : requireOneOf('autoOffsetReset', value, ['earliest', 'latest'] as const);
}
