import {
  requireNonEmptyString,
  requireOneOf,
  silentLogger,
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

/**
 * Options of {@link createKafkaReceiver}: those of {@link kafkaStream} without `maxRate` (a
 * setting of the stream, given to `ssc.receiverStream`), plus the interval at which the
 * receiver cuts blocks, which {@link kafkaStream} takes from the context.
 */
export interface KafkaReceiverOptions<K = string, V = string> extends Omit<
  KafkaStreamOptions<K, V>,
  'maxRate'
> {
  /**
   * Milliseconds between two blocks cut from the fetched records (default 200, the context's
   * default `blockInterval`); set it to the context's `blockInterval`.
   */
  readonly blockInterval?: number;
}

const RECEIVER_OPTION_NAMES: readonly string[] = [
  ...KAFKA_CLIENT_OPTION_NAMES,
  ...KAFKA_CONSUMER_OPTION_NAMES,
  'groupId',
  'topics',
  'ackOn',
  'autoOffsetReset',
  'rebalanceTimeout',
  'reconnectDelay',
  'maxReconnectDelay',
  'maxBufferedRecords',
];

const STREAM_OPTION_NAMES = new Set([...RECEIVER_OPTION_NAMES, 'maxRate']);
const FACTORY_OPTION_NAMES = new Set([...RECEIVER_OPTION_NAMES, 'blockInterval']);

/** The default block interval of a context, used by {@link createKafkaReceiver}. */
const DEFAULT_BLOCK_INTERVAL = 200;

/**
 * A stream fed by a Kafka consumer-group receiver. Every block interval, the records fetched
 * from each partition become one block whose metadata holds `topic`, `partition`, `fromOffset`,
 * `untilOffset` (exclusive) and `count`. Offsets are committed only after the engine
 * acknowledges a block (see `ackOn`); on a rebalance, blocks of revoked partitions are neither
 * committed by this member nor lost.
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
  requireKnownOptions(options, STREAM_OPTION_NAMES, 'kafkaStream');
  const maxRate = optionalPositiveNumber('maxRate', options.maxRate);
  const receiver = buildReceiver<K, V>(options, ssc.options.blockInterval);
  return ssc.receiverStream(receiver, maxRate === undefined ? {} : { maxRate });
}

/**
 * The receiver behind {@link kafkaStream}, validated and not yet started, for
 * `ssc.receiverStream(receiver, { maxRate })`: use it to keep a handle on the receiver, or to
 * run it where no context is at hand when it is created (the receiver conformance suite).
 *
 * @example
 * ```ts
 * const ssc = new StreamingContext({ batchInterval: seconds(1), blockInterval: 100 });
 * const receiver = createKafkaReceiver({ brokers, groupId: 'billing', topics: ['orders'], blockInterval: 100 });
 * const orders = ssc.receiverStream(receiver, { maxRate: 5000 });
 * ```
 */
export function createKafkaReceiver<K = string, V = string>(
  options: KafkaReceiverOptions<K, V>,
): KafkaReceiver<K, V> {
  requireKnownOptions(options, FACTORY_OPTION_NAMES, 'createKafkaReceiver');
  const blockInterval =
    optionalPositiveInteger('blockInterval', options.blockInterval) ?? DEFAULT_BLOCK_INTERVAL;
  return buildReceiver<K, V>(options, blockInterval);
}

function buildReceiver<K, V>(
  options: KafkaReceiverOptions<K, V>,
  blockInterval: number,
): KafkaReceiver<K, V> {
  // The client's logs go to the receiver's logger once it runs in a context.
  const client = resolveKafkaClientOptions(options, silentLogger);
  const ackOn =
    options.ackOn === undefined
      ? 'processed'
      : requireOneOf('ackOn', options.ackOn, ['stored', 'processed'] as const);
  const keyDecoder = resolveRecordDecoder<K>('keyDecoder', options.keyDecoder);
  const valueDecoder = resolveRecordDecoder<V>('valueDecoder', options.valueDecoder);
  const onDecodeError = options.onDecodeError ?? 'fail';
  // Checks the policy now; the receiver decodes with its own logger once it runs.
  void new KafkaRecordDecoder<K, V>(keyDecoder, valueDecoder, onDecodeError, silentLogger);
  return new KafkaReceiver<K, V>({
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
    blockInterval,
    maxBufferedRecords:
      optionalPositiveInteger('maxBufferedRecords', options.maxBufferedRecords) ?? 10_000,
    createDecoder: (logger) =>
      new KafkaRecordDecoder<K, V>(keyDecoder, valueDecoder, onDecodeError, logger),
  });
}
