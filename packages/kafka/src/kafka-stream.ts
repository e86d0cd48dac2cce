import {
  requireNonEmptyString,
  requireOneOf,
  type AckMode,
  type DStream,
  type StreamingContext,
  requireKnownOptions,
  resolveReconnectBackoff,
} from '@dstream/core';
import {
  KAFKA_CLIENT_OPTION_NAMES,
  resolveKafkaClientOptions,
  type KafkaClientOptions,
} from './kafka-client-options.js';
import {
  KAFKA_CONSUMER_OPTION_NAMES,
  resolveAutoOffsetReset,
  resolveConsumerTuning,
  type AutoOffsetReset,
  type KafkaConsumerOptions,
} from './kafka-consumer-options.js';
import type { KafkaRecord } from './kafka-record.js';
import { KafkaRecordDecoder, resolveRecordDecoder } from './kafka-record-decoder.js';
import { KafkaReceiver } from './kafka-receiver.js';
import {
  optionalPositiveInteger,
  optionalPositiveNumber,
  requireTopics,
} from './option-validation.js';

/** Options of {@link kafkaStream}. */
export interface KafkaStreamOptions<K = string, V = string>
  extends KafkaClientOptions, KafkaConsumerOptions<K, V> {
  /** The consumer group; members of one group split the topics' partitions between them. */
  readonly groupId: string;
  /** The topics to subscribe to. */
  readonly topics: readonly string[];
  /**
   * When offsets are committed: `'processed'` (default) once every output of the batch holding
   * the record finished (at-least-once end to end, no write-ahead log needed), or `'stored'` once
   * the block is stored (zero loss needs the write-ahead log).
   */
  readonly ackOn?: AckMode;
  /** Where partitions without a committed offset start: `'latest'` (default) or `'earliest'`. */
  readonly autoOffsetReset?: AutoOffsetReset;
  /** Records per second the receiver stores at most (default: the context's `maxRate`). */
  readonly maxRate?: number;
  /** Milliseconds the group waits for members to re-join during a rebalance (client default 60 000). */
  readonly rebalanceTimeout?: number;
  /** Delay before reconnecting after a failure, doubling per failure up to the maximum. */
  /** Milliseconds before restarting after a failure (default 1000); doubles up to `maxReconnectDelay`. */
  readonly reconnectDelay?: number;
  /** The longest delay between restarts, in milliseconds (default 30 000). */
  readonly maxReconnectDelay?: number;
  /**
   * Records fetched but not yet stored before the consumer pauses its partitions (default
   * 10 000); it resumes when half of them are stored.
   */
  readonly maxBufferedRecords?: number;
}

const OPTION_NAMES = new Set([
  ...KAFKA_CLIENT_OPTION_NAMES,
  ...KAFKA_CONSUMER_OPTION_NAMES,
  'groupId',
  'topics',
  'ackOn',
  'autoOffsetReset',
  'maxRate',
  'rebalanceTimeout',
  'reconnectDelay',
  'maxReconnectDelay',
  'maxBufferedRecords',
]);

/**
 * A stream fed by a Kafka consumer-group receiver. Every block interval, the records fetched
 * from each partition become one block whose metadata holds `topic`, `partition`, `fromOffset`,
 * `untilOffset` (exclusive) and `count`. Offsets are committed only after the engine acknowledges a block (see `ackOn`);
 * on a rebalance, blocks of revoked partitions are neither committed by this member nor lost.
 *
 * @example
 * ```ts
 * const orders = kafkaStream(ssc, { brokers: ['127.0.0.1:9092'], groupId: 'billing', topics: ['orders'], valueDecoder: 'json' });
 * orders.map((r) => r.value).print();
 * ```
 */
export function kafkaStream<K = string, V = string>(
  ssc: StreamingContext,
  options: KafkaStreamOptions<K, V>,
): DStream<KafkaRecord<K, V>> {
  requireKnownOptions(options, OPTION_NAMES, 'kafkaStream');
  const client = resolveKafkaClientOptions(options, ssc.logger);
  const ackOn =
    options.ackOn === undefined
      ? 'processed'
      : requireOneOf('ackOn', options.ackOn, ['stored', 'processed'] as const);
  const maxRate = optionalPositiveNumber('maxRate', options.maxRate);
  const decoder = new KafkaRecordDecoder<K, V>(
    resolveRecordDecoder<K>('keyDecoder', options.keyDecoder),
    resolveRecordDecoder<V>('valueDecoder', options.valueDecoder),
    options.onDecodeError ?? 'fail',
    ssc.logger,
  );
  const receiver = new KafkaReceiver<K, V>({
    client,
    groupId: requireNonEmptyString('groupId', options.groupId),
    topics: requireTopics('topics', options.topics),
    ackOn,
    fromBeginning: resolveAutoOffsetReset(options.autoOffsetReset) === 'earliest',
    tuning: resolveConsumerTuning(options, undefined),
    rebalanceTimeout: optionalPositiveInteger('rebalanceTimeout', options.rebalanceTimeout),
    reconnectBackoff: resolveReconnectBackoff({
      reconnectDelay: options.reconnectDelay ?? 1000,
      maxReconnectDelay: options.maxReconnectDelay,
    }),
    blockInterval: ssc.options.blockInterval,
    maxBufferedRecords:
      optionalPositiveInteger('maxBufferedRecords', options.maxBufferedRecords) ?? 10_000,
    decoder,
  });
  const stream = ssc.receiverStream(receiver, maxRate === undefined ? {} : { maxRate });
  ssc.onStop(() => receiver.close());
  return stream;
}
