import {
  ConfigurationError,
  requireNonEmptyString,
  silentLogger,
  type Logger,
  type Sink,
  type SinkBatchContext,
  type SinkGuarantee,
  type SinkWriteContext,
  requireKnownOptions,
  optionalBoolean,
} from '@dstream/core';
import {
  createKafkaClient,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaProducer,
  type KafkaTransaction,
  type OutgoingMessage,
  type OutgoingTopicMessages,
  type TopicPartitionOffset,
} from './kafka-client.js';
import {
  KAFKA_CLIENT_OPTION_NAMES,
  resolveKafkaClientOptions,
  type KafkaClientOptions,
} from './kafka-client-options.js';
import { directSourceOf } from './kafka-direct-source.js';
import { KafkaError } from './kafka-error.js';
import { offsetRangesOf, type OffsetRange } from './offset-range.js';
import { optionalNonEmptyString, optionalPositiveInteger } from './option-validation.js';
import {
  resolveHeaders,
  resolveSerializer,
  type HeadersOption,
  type SerializeFunction,
  type Serializer,
} from './record-serialization.js';

/** Exactly-once output: each batch's records and consumed offsets in one Kafka transaction. */
export interface KafkaTransactionalOptions {
  /** Stable per application instance: a restarted instance fences its previous incarnation. */
  readonly transactionalId: string;
  /**
   * The group whose offsets the transactions commit (default: the `groupId` of the direct
   * stream whose batches are written).
   */
  readonly consumerGroupId?: string;
  /** Milliseconds before the broker aborts an unfinished transaction (client default 60 000). */
  readonly transactionTimeout?: number;
}

/** Options of {@link kafkaSink}. */
export interface KafkaSinkOptions<T> extends KafkaClientOptions {
  /** The topic to write to, or a function choosing it per record. */
  readonly topic: string | ((record: T) => string);
  /** How a record becomes the message value (default `'string'`). */
  readonly value?: Serializer<T>;
  /** How a record becomes the message key (default: no key). */
  readonly key?: Serializer<T>;
  /** Headers of every message, or a function giving each record's headers. */
  readonly headers?: HeadersOption<T>;
  /** The partition of each record (default: by key hash, as Java clients do; round robin without key). */
  readonly partition?: (record: T) => number | undefined;
  /** Prevents duplicates from client retries (default true; needs `acks: -1`). */
  readonly idempotent?: boolean;
  /** Acknowledgements required: `-1` all in-sync replicas (default), `1` the leader, `0` none. */
  readonly acks?: -1 | 0 | 1;
  /** `'none'` (default) or `'gzip'`. */
  readonly compression?: 'none' | 'gzip';
  /** Messages per produce request at most (default 1000). */
  readonly batchSize?: number;
  /** Let the broker create unknown topics (default false: an unknown topic fails the batch clearly). */
  readonly allowAutoTopicCreation?: boolean;
  /** Makes the sink transactional: see {@link KafkaTransactionalOptions}. */
  readonly transactional?: KafkaTransactionalOptions;
  /** A name for logs and listener events (default `kafka(<topic>)`). */
  readonly name?: string;
  /** Where the client's logs go (default: silent). */
  readonly logger?: Logger;
}

/** Appended to the transactional id: the group whose offset records the last committed batch. */
const PROGRESS_GROUP_SUFFIX = '.dstream-batches';

const OPTION_NAMES = new Set([
  ...KAFKA_CLIENT_OPTION_NAMES,
  'topic',
  'value',
  'key',
  'headers',
  'partition',
  'idempotent',
  'acks',
  'compression',
  'batchSize',
  'allowAutoTopicCreation',
  'transactional',
  'name',
  'logger',
]);

/**
 * A sink writing records to Kafka with batched sends and, by default, an idempotent producer
 * (at-least-once: a batch written again is written twice). With `transactional`, every batch is
 * one Kafka transaction holding its records and, for a direct stream's batches, the consumed
 * offsets: exactly-once read-process-write, as `read_committed` consumers see it.
 *
 * @example
 * ```ts
 * stream.map((r) => ({ id: r.key, total: r.value.length })).to(kafkaSink({ brokers, topic: 'totals', value: 'json' }));
 * ```
 */
export function kafkaSink<T>(options: KafkaSinkOptions<T>): Sink<T> {
  requireKnownOptions(options, OPTION_NAMES, 'kafkaSink');
  return new KafkaSink<T>(options);
}

class KafkaSink<T> implements Sink<T> {
  readonly guarantee: SinkGuarantee;
  readonly name: string;
  private readonly client: KafkaClient;
  private readonly topicOf: (record: T) => string;
  private readonly fixedTopic: string | undefined;
  private readonly valueOf: SerializeFunction<T>;
  private readonly keyOf: SerializeFunction<T> | undefined;
  private readonly headersOf: ((record: T) => OutgoingMessage['headers']) | undefined;
  private readonly partitionOf: ((record: T) => number | undefined) | undefined;
  private readonly batchSize: number;
  private readonly allowAutoTopicCreation: boolean;
  private readonly idempotent: boolean;
  private readonly acks: -1 | 0 | 1;
  private readonly compression: 'none' | 'gzip';
  private readonly transactional: KafkaTransactionalOptions | undefined;
  private readonly logger: Logger;
  private producer: KafkaProducer | undefined;
  private admin: KafkaAdmin | undefined;
  private readonly knownTopics = new Set<string>();
  private transaction: KafkaTransaction | undefined;
  /** Per group, topic and partition: the offset the last committed transaction ended at. */
  private readonly committedUntil = new Map<string, string>();
  private warnedNoGroup = false;
  /** Transactional: the group whose committed offset records the last batch time committed. */
  private readonly progressGroupId: string | undefined;
  /** Transactional: the time of the last batch committed by this transactional id, if any. */
  private lastCommittedBatchTime: number | undefined;
  private progressRead: Promise<void> | undefined;
  /** The current batch was committed by an earlier incarnation: it is not written again. */
  private skippingBatch = false;
  /** A topic written in the current batch, which carries its progress marker. */
  private batchTopic: string | undefined;

  constructor(options: KafkaSinkOptions<T>) {
    this.logger = options.logger ?? silentLogger;
    this.client = createKafkaClient(resolveKafkaClientOptions(options, this.logger));
    if (typeof options.topic === 'function') {
      const topicOf = options.topic;
      this.topicOf = topicOf;
    } else {
      const topic = requireNonEmptyString('topic', options.topic);
      this.fixedTopic = topic;
      this.topicOf = () => topic;
    }
    this.valueOf = resolveSerializer('value', options.value ?? 'string');
    this.keyOf = options.key === undefined ? undefined : resolveSerializer('key', options.key);
    this.headersOf = resolveHeaders(options.headers);
    if (options.partition !== undefined && typeof options.partition !== 'function') {
      throw new ConfigurationError(
        'partition',
        options.partition,
        'expected a function (record) => partition number',
      );
    }
    this.partitionOf = options.partition;
    this.batchSize = optionalPositiveInteger('batchSize', options.batchSize) ?? 1000;
    this.allowAutoTopicCreation =
      optionalBoolean('allowAutoTopicCreation', options.allowAutoTopicCreation) ?? false;
    this.idempotent = optionalBoolean('idempotent', options.idempotent) ?? true;
    if (
      options.acks !== undefined &&
      options.acks !== -1 &&
      options.acks !== 0 &&
      options.acks !== 1
    ) {
      throw new ConfigurationError(
        'acks',
        options.acks,
        'expected -1 (all in-sync replicas), 1 (the leader) or 0 (none)',
      );
    }
    this.acks = options.acks ?? -1;
    if (this.idempotent && this.acks !== -1) {
      throw new ConfigurationError(
        'acks',
        this.acks,
        'an idempotent producer needs acks: -1; set idempotent: false to use other acks',
      );
    }
    if (
      options.compression !== undefined &&
      options.compression !== 'none' &&
      options.compression !== 'gzip'
    ) {
      throw new ConfigurationError('compression', options.compression, "expected 'none' or 'gzip'");
    }
    this.compression = options.compression ?? 'none';
    this.transactional = resolveTransactional(options.transactional);
    this.progressGroupId =
      this.transactional === undefined
        ? undefined
        : `${this.transactional.transactionalId}${PROGRESS_GROUP_SUFFIX}`;
    this.guarantee = this.transactional === undefined ? 'at-least-once' : 'transactional';
    this.name =
      optionalNonEmptyString('name', options.name) ?? `kafka(${this.fixedTopic ?? 'by record'})`;
  }

  open(): void {
    this.producer ??= this.client.producer({
      idempotent: this.idempotent,
      transactionalId: this.transactional?.transactionalId,
      transactionTimeout: this.transactional?.transactionTimeout,
      allowAutoTopicCreation: this.allowAutoTopicCreation,
      acks: this.acks,
      compression: this.compression,
    });
  }

  async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
    if (records.length === 0 || this.skippingBatch) return;
    const batches = this.toMessages(records, context);
    await this.checkTopics(batches);
    if (this.transactional !== undefined) this.batchTopic ??= batches[0]?.topic;
    const size = this.batchSize;
    for (const { topic, messages } of batches) {
      for (let start = 0; start < messages.length; start += size) {
        const chunk: OutgoingTopicMessages[] = [
          {
            topic,
            messages:
              start === 0 && messages.length <= size
                ? messages
                : messages.slice(start, start + size),
          },
        ];
        if (this.transactional === undefined) await this.producerOf().send(chunk);
        else await (await this.transactionOf()).send(chunk);
      }
    }
  }

  async beginBatch(batch: SinkBatchContext): Promise<void> {
    this.transaction = undefined;
    this.batchTopic = undefined;
    this.skippingBatch = false;
    if (this.transactional === undefined) return;
    // A batch with offset ranges is decided by them: they are committed in the same
    // transactions, and a direct stream recovers from them.
    if (carriesOffsetRanges(batch)) return;
    await this.readProgress();
    const last = this.lastCommittedBatchTime;
    if (last !== undefined && batch.batchTime <= last) {
      this.skippingBatch = true;
      this.logger.info(
        { sink: this.name, batchTime: batch.batchTime, lastCommittedBatchTime: last },
        'Kafka sink skips a batch that its transactional id committed before: it is not written twice',
      );
    }
  }

  async commitBatch(batch: SinkBatchContext): Promise<void> {
    if (this.transactional === undefined) return;
    try {
      if (this.skippingBatch) {
        // Only the transaction that read the progress may be open, with nothing in it.
        await this.transaction?.commit();
        this.transaction = undefined;
        return;
      }
      const offsets = this.consumedOffsets(batch);
      if (this.transaction === undefined && offsets.size === 0) return;
      const transaction = await this.transactionOf();
      for (const [groupId, groupOffsets] of offsets)
        await transaction.sendOffsets(groupId, groupOffsets);
      // The batch time, committed with the records: a later incarnation skips this batch.
      const { batchTopic, progressGroupId } = this;
      const marked = batchTopic !== undefined && progressGroupId !== undefined;
      if (marked) {
        await transaction.sendOffsets(progressGroupId, [
          { topic: batchTopic, partition: 0, offset: String(batch.batchTime) },
        ]);
      }
      await transaction.commit();
      this.transaction = undefined;
      if (marked) this.lastCommittedBatchTime = batch.batchTime;
      for (const [groupId, groupOffsets] of offsets) {
        for (const o of groupOffsets)
          this.committedUntil.set(`${groupId}\u0000${o.topic}\u0000${o.partition}`, o.offset);
      }
    } catch (error) {
      await this.abortBatch(batch, error);
      throw error;
    }
  }

  async abortBatch(batch: SinkBatchContext, error: unknown): Promise<void> {
    if (this.transactional === undefined) return;
    // Later batches must not commit offsets past the records of this one.
    for (const { key, range } of this.consumedRanges(batch)) {
      if (!this.committedUntil.has(key)) this.committedUntil.set(key, range.fromOffset);
    }
    const transaction = this.transaction;
    this.transaction = undefined;
    if (transaction === undefined) return;
    try {
      await transaction.abort();
    } catch (abortError) {
      this.logger.warn(
        { err: abortError, cause: error },
        'Aborting a Kafka transaction failed; the producer is recreated',
      );
      await this.resetProducer();
    }
    if (error instanceof KafkaError && error.code === 'KAFKA_PRODUCER_FENCED')
      await this.resetProducer();
  }

  async close(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    await transaction?.abort().catch(() => {});
    await this.resetProducer();
    await this.admin?.close();
    this.admin = undefined;
  }

  // ------------------------------------------------------------ internals

  private producerOf(): KafkaProducer {
    this.open();
    return this.producer as KafkaProducer;
  }

  private async transactionOf(): Promise<KafkaTransaction> {
    this.transaction ??= await this.producerOf().beginTransaction();
    return this.transaction;
  }

  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    // A new producer may find batches committed meanwhile by another incarnation.
    this.progressRead = undefined;
    await producer?.close();
  }

  /**
   * Reads, once per producer, the time of the last batch this transactional id committed. The
   * producer first takes over the transactional id, which completes or aborts whatever an
   * earlier incarnation left unfinished, so what is read is final.
   */
  private readProgress(): Promise<void> {
    this.progressRead ??= (async () => {
      this.transaction ??= await this.producerOf().beginTransaction();
      this.admin ??= this.client.admin();
      let last: number | undefined;
      for (const { offset } of await this.admin.committedOffsets(this.progressGroupId!, [])) {
        const time = Number(offset);
        if (time >= 0 && (last === undefined || time > last)) last = time;
      }
      this.lastCommittedBatchTime = last;
    })().catch((error: unknown) => {
      this.progressRead = undefined;
      throw error;
    });
    return this.progressRead;
  }

  private toMessages(records: readonly T[], context: SinkWriteContext): OutgoingTopicMessages[] {
    const byTopic = new Map<string, OutgoingMessage[]>();
    const fixed = this.fixedTopic;
    let single: OutgoingMessage[] | undefined;
    if (fixed !== undefined) byTopic.set(fixed, (single = []));
    const { valueOf, keyOf, headersOf, partitionOf } = this;
    let part = 'topic';
    let index = 0;
    try {
      for (; index < records.length; index++) {
        const record = records[index];
        let target = single;
        if (target === undefined) {
          part = 'topic';
          const topic = this.topicOf(record);
          if (typeof topic !== 'string' || topic.length === 0)
            throw new Error(`the topic function returned ${JSON.stringify(topic)}`);
          target = byTopic.get(topic);
          if (target === undefined) byTopic.set(topic, (target = []));
        }
        part = 'value';
        const message: OutgoingMessage = { key: null, value: valueOf(record) };
        if (keyOf !== undefined) {
          part = 'key';
          message.key = keyOf(record);
        }
        if (headersOf !== undefined) {
          part = 'headers';
          message.headers = headersOf(record);
        }
        if (partitionOf !== undefined) {
          part = 'partition';
          const partition = partitionOf(record);
          if (partition !== undefined) {
            if (!Number.isInteger(partition) || partition < 0)
              throw new Error(`the partition function returned ${String(partition)}`);
            message.partition = partition;
          }
        }
        target.push(message);
      }
    } catch (error) {
      throw new KafkaError(
        'KAFKA_SERIALIZATION_FAILED',
        `Kafka sink ${this.name} could not serialize the ${part} of record ${index} of partition ${context.partition} of the batch at ${context.batchTime} ms: ${(error as Error).message}`,
        { brokers: this.client.brokers, topic: fixed },
        { cause: error },
      );
    }
    return [...byTopic]
      .filter(([, messages]) => messages.length > 0)
      .map(([topic, messages]) => ({ topic, messages }));
  }

  private async checkTopics(batches: readonly OutgoingTopicMessages[]): Promise<void> {
    if (this.allowAutoTopicCreation) return;
    const unknown = batches.filter(({ topic }) => !this.knownTopics.has(topic));
    if (unknown.length === 0) return;
    this.admin ??= this.client.admin();
    const existing = new Set(await this.admin.listTopics());
    for (const { topic } of unknown) {
      if (!existing.has(topic)) {
        throw new KafkaError(
          'KAFKA_UNKNOWN_TOPIC',
          `Kafka topic "${topic}" does not exist on brokers ${this.client.brokers.join(',')} (sink ${this.name}); create it or set allowAutoTopicCreation`,
          { brokers: this.client.brokers, topic },
          { retriable: true },
        );
      }
      this.knownTopics.add(topic);
    }
  }

  /** The offset ranges the batch's inputs consumed, with the group each is committed to. */
  private consumedRanges(
    batch: SinkBatchContext,
  ): { key: string; groupId: string; range: OffsetRange }[] {
    const out: { key: string; groupId: string; range: OffsetRange }[] = [];
    for (const info of batch.inputs.values()) {
      const ranges = offsetRangesOf(info);
      if (ranges === undefined) continue;
      const groupId =
        this.transactional?.consumerGroupId ??
        (typeof info.metadata.groupId === 'string' ? info.metadata.groupId : undefined);
      if (groupId === undefined) {
        if (!this.warnedNoGroup) {
          this.warnedNoGroup = true;
          this.logger.warn(
            { sink: this.name },
            'The direct stream has no groupId and transactional.consumerGroupId is not set: offsets are not part of the transactions',
          );
        }
        continue;
      }
      directSourceOf(info.metadata)?.handOverCommits(this.name, groupId);
      for (const range of ranges)
        out.push({ key: `${groupId}\u0000${range.topic}\u0000${range.partition}`, groupId, range });
    }
    return out;
  }

  /** The offsets to commit with the batch's transaction, per group; checks they continue the last commit. */
  private consumedOffsets(batch: SinkBatchContext): Map<string, TopicPartitionOffset[]> {
    const byGroup = new Map<string, TopicPartitionOffset[]>();
    for (const { key, groupId, range } of this.consumedRanges(batch)) {
      const last = this.committedUntil.get(key);
      if (last !== undefined && last !== range.fromOffset) {
        throw new KafkaError(
          'KAFKA_OFFSETS_NOT_CONTIGUOUS',
          `Kafka sink ${this.name} will not commit offsets ${range.fromOffset}-${range.untilOffset} of topic "${range.topic}" partition ${range.partition} for group "${groupId}": the offsets from ${last} on belong to a batch whose transaction was aborted, and committing past them would skip its records; start a new context from the committed offsets to process them`,
          { brokers: this.client.brokers, topic: range.topic, partition: range.partition, groupId },
        );
      }
      if (range.fromOffset === range.untilOffset) continue;
      let offsets = byGroup.get(groupId);
      if (offsets === undefined) byGroup.set(groupId, (offsets = []));
      offsets.push({ topic: range.topic, partition: range.partition, offset: range.untilOffset });
    }
    return byGroup;
  }
}

/** Whether an input of the batch carries offset ranges (a direct stream's batch). */
function carriesOffsetRanges(batch: SinkBatchContext): boolean {
  for (const info of batch.inputs.values()) if (offsetRangesOf(info) !== undefined) return true;
  return false;
}

function resolveTransactional(value: unknown): KafkaTransactionalOptions | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(
      'transactional',
      value,
      'expected { transactionalId, consumerGroupId?, transactionTimeout? }',
    );
  }
  requireKnownOptions(
    value,
    ['transactionalId', 'consumerGroupId', 'transactionTimeout'],
    'kafkaSink transactional',
  );
  const options = value as KafkaTransactionalOptions;
  return {
    transactionalId: requireNonEmptyString(
      'transactional.transactionalId',
      options.transactionalId,
    ),
    consumerGroupId: optionalNonEmptyString(
      'transactional.consumerGroupId',
      options.consumerGroupId,
    ),
    transactionTimeout: optionalPositiveInteger(
      'transactional.transactionTimeout',
      options.transactionTimeout,
    ),
  };
}
