import { randomUUID } from 'node:crypto';
import {
  ConfigurationError,
  requireKnownOptions,
  type DStream,
  type StreamingContext,
  optionalBoolean,
} from '@dstream/core';
import { createKafkaClient } from './kafka-client.js';
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
import {
  KafkaDirectSource,
  type KafkaDirectStreamSnapshot,
  type StartingOffsets,
} from './kafka-direct-source.js';
import type { KafkaRecord } from './kafka-record.js';
import { KafkaRecordDecoder, resolveRecordDecoder } from './kafka-record-decoder.js';
import type { OffsetRange } from './offset-range.js';
import {
  optionalNonEmptyString,
  optionalPositiveInteger,
  optionalPositiveNumber,
  requireTopics,
} from './option-validation.js';

/** Explicit starting offsets: per topic, per partition, the first offset to read. */
export type ExplicitStartingOffsets = Readonly<
  Record<string, Readonly<Record<number, string | number | bigint>>>
>;

/** Options of {@link kafkaDirectStream}. */
export interface KafkaDirectStreamOptions<K = string, V = string>
  extends KafkaClientOptions, KafkaConsumerOptions<K, V> {
  /** The topics to read, every partition of each. */
  readonly topics: readonly string[];
  /**
   * The consumer group offsets are committed to after each batch's outputs completed, and
   * read from with `startingOffsets: 'committed'`. The stream's reader joins this group and
   * must be its only member. Without a group nothing is committed.
   */
  readonly groupId?: string;
  /**
   * Where reading starts: `'committed'` (default with a `groupId`: the group's committed
   * offsets, `autoOffsetReset` for partitions without one), `'earliest'`, `'latest'` (default
   * without a group), or explicit offsets per topic and partition (others use `autoOffsetReset`).
   */
  readonly startingOffsets?: 'committed' | 'earliest' | 'latest' | ExplicitStartingOffsets;
  /** Where partitions without a starting offset start (default `'latest'`). */
  readonly autoOffsetReset?: AutoOffsetReset;
  /**
   * Commit each batch's offsets to `groupId` once its outputs completed (default true). Set
   * false when a transactional `kafkaSink` commits them with its transactions (it also turns
   * this off by itself when it sees the stream's batches).
   */
  readonly commitOffsets?: boolean;
  /** Records per second per partition at most: a batch takes at most this × batch interval per partition. */
  readonly maxRatePerPartition?: number;
  /**
   * Milliseconds a batch waits for the reader to make progress before cutting its ranges
   * where reading stopped (default 3000); the rest goes to the next batch.
   */
  readonly readTimeout?: number;
  /** Records read ahead per partition before the partition is paused (default 10 000). */
  readonly maxBufferedRecordsPerPartition?: number;
}

/** Spark's `HasOffsetRanges` and `CanCommitOffsets`, for a direct stream. */
export interface KafkaDirectStreamControl {
  /**
   * The offset ranges of the batch at `time` (one per partition, in the order of the batch's
   * partitions), while the batch is recent (the last 128 batches); `undefined` otherwise.
   */
  offsetRangesAt(time: number): readonly OffsetRange[] | undefined;
  /** Positions and ranges of batches not yet completed, for checkpoints. */
  snapshot(): KafkaDirectStreamSnapshot;
  /** Resumes from a snapshot (before the context starts): its batches are read again exactly. */
  restore(snapshot: KafkaDirectStreamSnapshot): void;
}

/** A direct stream: a DStream of Kafka records that also tells each batch's offset ranges. */
export type KafkaDirectStream<K = string, V = string> = DStream<KafkaRecord<K, V>> &
  KafkaDirectStreamControl;

const OPTION_NAMES = new Set([
  ...KAFKA_CLIENT_OPTION_NAMES,
  ...KAFKA_CONSUMER_OPTION_NAMES,
  'topics',
  'groupId',
  'startingOffsets',
  'autoOffsetReset',
  'commitOffsets',
  'maxRatePerPartition',
  'readTimeout',
  'maxBufferedRecordsPerPartition',
]);

/**
 * A direct stream (Spark's recommended approach): no receiver; for each batch time the stream
 * decides an offset range `[from, until)` per partition (bounded by `maxRatePerPartition` ×
 * batch interval), reads exactly those offsets, records the ranges in the batch's input metadata
 * and, once every output of the batch succeeded, commits them to `groupId`. Partitions added to
 * a topic are picked up from their beginning.
 *
 * @example
 * ```ts
 * const stream = kafkaDirectStream(ssc, { brokers: ['127.0.0.1:9092'], topics: ['orders'], groupId: 'billing' });
 * stream.foreachBatch((batch, time) => console.log(stream.offsetRangesAt(time)));
 * ```
 */
export function kafkaDirectStream<K = string, V = string>(
  ssc: StreamingContext,
  options: KafkaDirectStreamOptions<K, V>,
): KafkaDirectStream<K, V> {
  requireKnownOptions(options, OPTION_NAMES, 'kafkaDirectStream');
  const topics = requireTopics('topics', options.topics);
  const groupId = optionalNonEmptyString('groupId', options.groupId);
  const startingOffsets = resolveStartingOffsets(options.startingOffsets, topics, groupId);
  const commitOffsets = optionalBoolean('commitOffsets', options.commitOffsets);
  if (commitOffsets === true && groupId === undefined) {
    throw new ConfigurationError(
      'commitOffsets',
      commitOffsets,
      'committing offsets needs a groupId',
    );
  }
  const logger = ssc.logger.child?.({ input: 'kafkaDirect', topics }) ?? ssc.logger;
  const client = createKafkaClient(resolveKafkaClientOptions(options, logger));
  const decoder = new KafkaRecordDecoder<K, V>(
    resolveRecordDecoder<K>('keyDecoder', options.keyDecoder),
    resolveRecordDecoder<V>('valueDecoder', options.valueDecoder),
    options.onDecodeError ?? 'fail',
    logger,
  );
  const source = new KafkaDirectSource<K, V>({
    client,
    topics,
    groupId,
    readerGroupId: groupId ?? `dstream-direct-${randomUUID()}`,
    startingOffsets,
    autoOffsetReset: resolveAutoOffsetReset(options.autoOffsetReset),
    commitOffsets: commitOffsets ?? true,
    maxRatePerPartition: optionalPositiveNumber('maxRatePerPartition', options.maxRatePerPartition),
    batchInterval: ssc.batchInterval,
    readTimeout: optionalPositiveInteger('readTimeout', options.readTimeout) ?? 3000,
    maxBufferedRecordsPerPartition:
      optionalPositiveInteger(
        'maxBufferedRecordsPerPartition',
        options.maxBufferedRecordsPerPartition,
      ) ?? 10_000,
    tuning: resolveConsumerTuning(options, 5000),
    decoder,
    logger,
  });
  const stream = ssc.inputStream(source);
  decoder.bindStream(stream.id);
  const control: KafkaDirectStreamControl = {
    offsetRangesAt: (time) => source.offsetRangesAt(time),
    snapshot: () => source.snapshot(),
    restore: (snapshot) => source.restore(snapshot),
  };
  return Object.assign(stream, control);
}

function resolveStartingOffsets(
  value: unknown,
  topics: readonly string[],
  groupId: string | undefined,
): StartingOffsets {
  if (value === undefined) return groupId === undefined ? 'latest' : 'committed';
  if (value === 'committed') {
    if (groupId === undefined)
      throw new ConfigurationError('startingOffsets', value, "'committed' needs a groupId");
    return value;
  }
  if (value === 'earliest' || value === 'latest') return value;
  const allowed =
    "expected 'committed', 'earliest', 'latest' or { [topic]: { [partition]: offset } }";
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError('startingOffsets', value, allowed);
  }
  const explicit: Record<string, Record<number, bigint>> = {};
  for (const [topic, byPartition] of Object.entries(value as Record<string, unknown>)) {
    if (!topics.includes(topic)) {
      throw new ConfigurationError(
        `startingOffsets.${topic}`,
        byPartition,
        `topic is not one of the stream's topics (${topics.join(', ')})`,
      );
    }
    if (byPartition === null || typeof byPartition !== 'object' || Array.isArray(byPartition)) {
      throw new ConfigurationError(
        `startingOffsets.${topic}`,
        byPartition,
        'expected { [partition]: offset }',
      );
    }
    explicit[topic] = {};
    for (const [partition, offset] of Object.entries(byPartition as Record<string, unknown>)) {
      const option = `startingOffsets.${topic}.${partition}`;
      if (!/^(0|[1-9]\d*)$/.test(partition))
        throw new ConfigurationError(
          option,
          partition,
          'expected a partition number of zero or more',
        );
      explicit[topic][Number(partition)] = requireOffset(option, offset);
    }
  }
  return explicit;
}

function requireOffset(option: string, value: unknown): bigint {
  const allowed =
    'expected an offset of zero or more (a whole number, a decimal string or a bigint)';
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^(0|[1-9]\d*)$/.test(value)) return BigInt(value);
  throw new ConfigurationError(
    option,
    typeof value === 'bigint' ? value.toString() : value,
    allowed,
  );
}
