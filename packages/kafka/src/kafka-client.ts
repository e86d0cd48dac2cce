/**
 * The one place that talks to the Kafka client library. Everything else in this package uses
 * the interfaces below, so another client can be put behind them without touching the
 * streams or the sink.
 */
import {
  CompressionTypes,
  Kafka,
  Partitioners,
  logLevel as ClientLogLevels,
  type Admin,
  type Consumer,
  type KafkaConfig,
  type LogEntry,
  type Message,
  type Producer,
  type Transaction,
} from 'kafkajs';
import type { Logger } from '@dstream/core';
import type { KafkaClientLogLevel, ResolvedKafkaClientOptions } from './kafka-client-options.js';
import {
  describeKafkaContext,
  KafkaError,
  type KafkaErrorCode,
  type KafkaErrorContext,
} from './kafka-error.js';

// ------------------------------------------------------------------ shapes

/** Record headers as the client delivers them: values are bytes, repeated keys give arrays. */
export type KafkaHeaders = Readonly<
  Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>
>;

/** One message as fetched: the client's own object, never copied. */
export interface FetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers?: KafkaHeaders;
}

/** The messages of one partition returned by one fetch. */
export interface FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  /** Data messages in offset order; control records and aborted messages are left out. */
  readonly messages: readonly FetchedMessage[];
  /** The offset of the last record fetched, control records included. */
  readonly lastOffset: string;
  /** The partition's high watermark when it was fetched. */
  readonly highWatermark: string;
}

/** What a batch handler may do while it holds up the consumer. */
export interface BatchControl {
  /** Keeps the group membership alive during a long wait. */
  heartbeat(): Promise<void>;
}

/** A topic and some of its partitions. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** A position in one partition: the offset of the next record to read. */
export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** The offsets of one partition: first available and next to be written. */
export interface PartitionOffsets {
  readonly partition: number;
  /** The earliest offset still in the log. */
  readonly low: string;
  /** The high watermark: the offset the next record will get. */
  readonly high: string;
}

/** A message to produce. */
export interface OutgoingMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[]>;
  partition?: number;
  timestamp?: string;
}

/** Messages for one topic. */
export interface OutgoingTopicMessages {
  readonly topic: string;
  readonly messages: OutgoingMessage[];
}

/** Settings of a consumer-group member. */
export interface GroupConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where partitions without a committed offset start. */
  readonly fromBeginning: boolean;
  readonly readUncommitted: boolean;
  readonly sessionTimeout?: number;
  readonly heartbeatInterval?: number;
  readonly rebalanceTimeout?: number;
  readonly maxBytesPerPartition?: number;
  readonly maxWaitTime?: number;
  readonly metadataMaxAge?: number;
}

/** What a running consumer reports. */
export interface GroupConsumerHandlers {
  /** The messages of one partition; the next fetch of that partition waits for the promise. */
  onBatch(batch: FetchedBatch, control: BatchControl): Promise<void>;
  /** The member joined (or re-joined) the group and got these partitions. */
  onAssigned?(assignment: readonly TopicPartitions[]): void;
  /** A fetch held only control records or aborted messages: reading moved past them. */
  onPositionAdvanced?(topic: string, partition: number, lastOffset: string): void;
  /** The consumer failed; `willRestart` tells whether the client restarts it by itself. */
  onCrash?(error: KafkaError, willRestart: boolean): void;
}

/** A member of a consumer group that fetches its assigned partitions. */
export interface GroupConsumer {
  /** Connects, subscribes and starts consuming; joining the group continues in the background. */
  start(handlers: GroupConsumerHandlers): Promise<void>;
  /** Whether `start` has succeeded and the consumer is not stopped. */
  readonly running: boolean;
  /** Moves the next fetch of a partition to `offset` (applied once the partition is assigned). */
  seek(topic: string, partition: number, offset: string): void;
  pause(partitions: readonly TopicPartitions[]): void;
  resume(partitions: readonly TopicPartitions[]): void;
  /** Commits offsets as this member of the group. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Leaves the group and disconnects; safe to call twice. */
  stop(): Promise<void>;
}

/** Topic and group administration. */
export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  /** Low and high offsets of every partition of `topic`. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /**
   * Committed offsets of `groupId` for every partition of `topics` (`-1` when none); with no
   * topics, for every partition the group has committed an offset for.
   */
  committedOffsets(groupId: string, topics: readonly string[]): Promise<TopicPartitionOffset[]>;
  close(): Promise<void>;
}

/** Settings of a producer. */
export interface ProducerOptions {
  readonly idempotent: boolean;
  readonly transactionalId?: string;
  readonly transactionTimeout?: number;
  readonly allowAutoTopicCreation: boolean;
  /** `-1` (all in-sync replicas), `1` (leader) or `0` (none). */
  readonly acks: -1 | 0 | 1;
  readonly compression: 'none' | 'gzip';
}

/** An open transaction of a transactional producer. */
export interface KafkaTransaction {
  send(batch: readonly OutgoingTopicMessages[]): Promise<void>;
  /** Adds consumed offsets of `groupId` to the transaction. */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A producer; transactional when created with a transactional id. */
export interface KafkaProducer {
  send(batch: readonly OutgoingTopicMessages[]): Promise<void>;
  beginTransaction(): Promise<KafkaTransaction>;
  close(): Promise<void>;
}

/** A connection to one Kafka cluster. */
export interface KafkaClient {
  readonly brokers: readonly string[];
  /** An admin client, connected on first use. */
  admin(): KafkaAdmin;
  groupConsumer(options: GroupConsumerOptions): GroupConsumer;
  /** A producer, connected on first send. */
  producer(options: ProducerOptions): KafkaProducer;
}

// ------------------------------------------------------------------ errors

/** Wraps any client error into a {@link KafkaError} that says what failed and where. */
export function toKafkaError(
  error: unknown,
  operation: string,
  context: KafkaErrorContext,
): KafkaError {
  if (error instanceof KafkaError) return error;
  const { code, retriable } = classify(error);
  const reason = innermostMessage(error);
  const what = describeKafkaContext(context);
  const summary: Record<KafkaErrorCode, string> = {
    KAFKA_CONNECTION_FAILED: 'broker unreachable',
    KAFKA_AUTHENTICATION_FAILED: 'authentication failed',
    KAFKA_AUTHORIZATION_FAILED: 'not authorized',
    KAFKA_UNKNOWN_TOPIC: 'topic does not exist',
    KAFKA_PRODUCER_FENCED: 'producer fenced by a newer one with the same transactional id',
    KAFKA_REQUEST_FAILED: 'request failed',
    KAFKA_SERIALIZATION_FAILED: 'serialization failed',
    KAFKA_OFFSETS_NOT_CONTIGUOUS: 'offsets not contiguous',
    KAFKA_RANGE_NOT_READABLE: 'offset range not readable',
  };
  return new KafkaError(
    code,
    `Kafka ${summary[code]} while ${operation} (${what}): ${reason}`,
    context,
    {
      cause: error,
      retriable,
    },
  );
}

function classify(error: unknown): { code: KafkaErrorCode; retriable: boolean } {
  let retriable = false;
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; depth++) {
    const e = current as Error & { type?: string; retriable?: boolean; code?: string };
    if (e.retriable === true) retriable = true;
    const type = e.type ?? '';
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION')
      return { code: 'KAFKA_UNKNOWN_TOPIC', retriable: true };
    if (type.endsWith('_AUTHORIZATION_FAILED'))
      return { code: 'KAFKA_AUTHORIZATION_FAILED', retriable: false };
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED')
      return { code: 'KAFKA_PRODUCER_FENCED', retriable: false };
    if (
      e.name === 'KafkaJSSASLAuthenticationError' ||
      type === 'SASL_AUTHENTICATION_FAILED' ||
      type === 'ILLEGAL_SASL_STATE'
    ) {
      return { code: 'KAFKA_AUTHENTICATION_FAILED', retriable: false };
    }
    if (
      e.name === 'KafkaJSConnectionError' ||
      e.name === 'KafkaJSConnectionClosedError' ||
      e.name === 'KafkaJSRequestTimeoutError' ||
      e.name === 'KafkaJSBrokerNotFound' ||
      e.name === 'KafkaJSNoBrokerAvailableError' ||
      e.code === 'ECONNREFUSED' ||
      e.code === 'ENOTFOUND' ||
      e.code === 'ETIMEDOUT'
    ) {
      return { code: 'KAFKA_CONNECTION_FAILED', retriable: true };
    }
    current = e.cause ?? (e as { originalError?: unknown }).originalError;
  }
  return { code: 'KAFKA_REQUEST_FAILED', retriable };
}

function innermostMessage(error: unknown): string {
  const messages: string[] = [];
  for (
    let current: unknown = error, depth = 0;
    current !== undefined && current !== null && depth < 10;
    depth++
  ) {
    const message =
      current instanceof Error
        ? current.message
        : typeof current === 'string'
          ? current
          : JSON.stringify(current);
    if (!messages.includes(message)) messages.push(message);
    if (!(current instanceof Error)) break;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return messages.join(': ');
}

// ------------------------------------------------------------------ logging

const LEVELS: Record<KafkaClientLogLevel, ClientLogLevels> = {
  nothing: ClientLogLevels.NOTHING,
  error: ClientLogLevels.ERROR,
  warn: ClientLogLevels.WARN,
  info: ClientLogLevels.INFO,
  debug: ClientLogLevels.DEBUG,
};

function forwardLogs(logger: Logger): KafkaConfig['logCreator'] {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const entry = { client: 'kafkajs', namespace, ...extra };
      // The client logs retried failures as errors; the streams and the sink report the
      // failures that matter themselves, so the client's errors are warnings here.
      if (level === ClientLogLevels.ERROR || level === ClientLogLevels.WARN)
        logger.warn(entry, message);
      else if (level === ClientLogLevels.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}

// ------------------------------------------------------------------ implementation

/** A client for the cluster described by `options`, on kafkajs. */
export function createKafkaClient(options: ResolvedKafkaClientOptions): KafkaClient {
  return new KafkajsClient(options);
}

class KafkajsClient implements KafkaClient {
  readonly brokers: readonly string[];
  private readonly kafka: Kafka;

  constructor(private readonly options: ResolvedKafkaClientOptions) {
    this.brokers = options.brokers;
    this.kafka = new Kafka({
      brokers: [...options.brokers],
      clientId: options.clientId,
      ssl: options.ssl,
      sasl: options.sasl,
      connectionTimeout: options.connectionTimeout,
      authenticationTimeout: options.authenticationTimeout,
      requestTimeout: options.requestTimeout,
      retry: options.retry === undefined ? undefined : { ...options.retry },
      logLevel: LEVELS[options.clientLogLevel],
      logCreator: forwardLogs(options.logger),
    });
  }

  admin(): KafkaAdmin {
    return new KafkajsAdmin(this.kafka.admin(), this.brokers);
  }

  groupConsumer(options: GroupConsumerOptions): GroupConsumer {
    return new KafkajsGroupConsumer(this.kafka, options, this.brokers, this.options.retry);
  }

  producer(options: ProducerOptions): KafkaProducer {
    return new KafkajsProducer(this.kafka, options, this.brokers);
  }
}

class KafkajsAdmin implements KafkaAdmin {
  private connected: Promise<void> | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly brokers: readonly string[],
  ) {}

  private async ready(): Promise<Admin> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    return this.admin;
  }

  async listTopics(): Promise<string[]> {
    try {
      return await (await this.ready()).listTopics();
    } catch (error) {
      throw toKafkaError(error, 'listing topics', { brokers: this.brokers });
    }
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    try {
      const offsets = await (await this.ready()).fetchTopicOffsets(topic);
      return offsets
        .map(({ partition, low, high }) => ({ partition, low, high }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw toKafkaError(error, 'fetching the latest offsets', { brokers: this.brokers, topic });
    }
  }

  async committedOffsets(
    groupId: string,
    topics: readonly string[],
  ): Promise<TopicPartitionOffset[]> {
    try {
      const byTopic = await (await this.ready()).fetchOffsets({ groupId, topics: [...topics] });
      return byTopic.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
      );
    } catch (error) {
      throw toKafkaError(error, 'fetching committed offsets', { brokers: this.brokers, groupId });
    }
  }

  async close(): Promise<void> {
    const connected = this.connected;
    this.connected = undefined;
    if (connected === undefined) return;
    await connected.catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }
}

class KafkajsGroupConsumer implements GroupConsumer {
  private consumer: Consumer | undefined;
  private runningValue = false;
  private stopping: Promise<void> | undefined;
  private commits = 0;
  private readonly context: KafkaErrorContext;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: GroupConsumerOptions,
    brokers: readonly string[],
    private readonly retry: ResolvedKafkaClientOptions['retry'],
  ) {
    this.context = { brokers, groupId: options.groupId };
  }

  get running(): boolean {
    return this.runningValue;
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    const options = this.options;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      readUncommitted: options.readUncommitted,
      sessionTimeout: options.sessionTimeout,
      heartbeatInterval: options.heartbeatInterval,
      rebalanceTimeout: options.rebalanceTimeout,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitTime,
      metadataMaxAge: options.metadataMaxAge,
      retry: {
        ...this.retry,
        // The client restarts a crashed consumer on its own, even one that crashed because it
        // was being disconnected (while joining its group, say): never once it is stopping.
        restartOnFailure: () => Promise.resolve(this.stopping === undefined),
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = Object.entries(event.payload.memberAssignment).map(
        ([topic, partitions]) => ({
          topic,
          partitions,
        }),
      );
      handlers.onAssigned?.(assignment);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset } = event.payload;
      if (batchSize === 0) handlers.onPositionAdvanced?.(topic, partition, lastOffset);
    });
    consumer.on(consumer.events.COMMIT_OFFSETS, () => {
      this.commits++;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (consumer !== this.consumer || this.stopping !== undefined) return;
      const { error, restart } = event.payload;
      handlers.onCrash?.(toKafkaError(error, 'consuming', this.context), restart);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: [...options.topics],
        fromBeginning: options.fromBeginning,
      });
      if (this.stopping !== undefined) {
        await consumer.disconnect().catch(() => {});
        return;
      }
      // Not awaited: run() resolves once the group is joined, which the handlers report.
      void consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async (payload) => {
            const batch = payload.batch;
            await handlers.onBatch(
              {
                topic: batch.topic,
                partition: batch.partition,
                messages: batch.messages,
                lastOffset: batch.lastOffset(),
                highWatermark: batch.highWatermark,
              },
              { heartbeat: () => payload.heartbeat() },
            );
          },
        })
        .catch((error: unknown) => {
          if (this.stopping === undefined)
            handlers.onCrash?.(toKafkaError(error, 'joining the group', this.context), false);
        });
      this.runningValue = true;
    } catch (error) {
      this.consumer = undefined;
      await consumer.disconnect().catch(() => {});
      throw toKafkaError(
        error,
        `subscribing to ${options.topics.map((t) => `"${t}"`).join(', ')}`,
        this.context,
      );
    }
  }

  seek(topic: string, partition: number, offset: string): void {
    if (!this.runningValue || this.consumer === undefined) return;
    try {
      this.consumer.seek({ topic, partition, offset });
    } catch {
      // The client forgets seeks while it restarts; the next assignment seeks again.
    }
  }

  pause(partitions: readonly TopicPartitions[]): void {
    if (!this.runningValue || this.consumer === undefined || partitions.length === 0) return;
    try {
      this.consumer.pause(
        partitions.map(({ topic, partitions: p }) => ({ topic, partitions: [...p] })),
      );
    } catch {
      // Not running (restarting): nothing is fetched anyway.
    }
  }

  resume(partitions: readonly TopicPartitions[]): void {
    if (!this.runningValue || this.consumer === undefined || partitions.length === 0) return;
    try {
      this.consumer.resume(
        partitions.map(({ topic, partitions: p }) => ({ topic, partitions: [...p] })),
      );
    } catch {
      // Not running (restarting): the next run starts unpaused.
    }
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const consumer = this.consumer;
    if (offsets.length === 0) return;
    try {
      if (consumer === undefined || !this.runningValue)
        throw new Error('the consumer is not running');
      const before = this.commits;
      await consumer.commitOffsets(
        offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      );
      // The client skips a commit silently while it is not a member (restarting, re-joining).
      if (this.commits === before)
        throw new Error('the consumer is not a member of the group right now');
    } catch (error) {
      throw toKafkaError(error, 'committing offsets', this.context);
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.runningValue = false;
      const consumer = this.consumer;
      if (consumer !== undefined) await consumer.disconnect().catch(() => {});
    })();
    return this.stopping;
  }
}

class KafkajsProducer implements KafkaProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private readonly context: KafkaErrorContext;
  private readonly acks: number;
  private readonly compression: CompressionTypes;

  constructor(kafka: Kafka, options: ProducerOptions, brokers: readonly string[]) {
    const transactional = options.transactionalId !== undefined;
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      idempotent: options.idempotent || transactional,
      transactionalId: options.transactionalId,
      transactionTimeout: options.transactionTimeout,
      maxInFlightRequests: options.idempotent || transactional ? 1 : undefined,
    });
    this.context = { brokers, transactionalId: options.transactionalId };
    this.acks = options.idempotent || transactional ? -1 : options.acks;
    this.compression =
      options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  }

  private async ready(): Promise<Producer> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    return this.producer;
  }

  async send(batch: readonly OutgoingTopicMessages[]): Promise<void> {
    try {
      const producer = await this.ready();
      await producer.sendBatch({
        topicMessages: batch.map(toTopicMessages),
        acks: this.acks,
        compression: this.compression,
      });
    } catch (error) {
      throw toKafkaError(error, 'producing', { ...this.context, topic: singleTopic(batch) });
    }
  }

  async beginTransaction(): Promise<KafkaTransaction> {
    try {
      const producer = await this.ready();
      const transaction = await producer.transaction();
      return new KafkajsTransaction(transaction, this.context, this.compression);
    } catch (error) {
      throw toKafkaError(error, 'beginning a transaction', this.context);
    }
  }

  async close(): Promise<void> {
    const connected = this.connected;
    this.connected = undefined;
    if (connected === undefined) return;
    await connected.catch(() => {});
    await this.producer.disconnect().catch(() => {});
  }
}

class KafkajsTransaction implements KafkaTransaction {
  constructor(
    private readonly transaction: Transaction,
    private readonly context: KafkaErrorContext,
    private readonly compression: CompressionTypes,
  ) {}

  async send(batch: readonly OutgoingTopicMessages[]): Promise<void> {
    try {
      await this.transaction.sendBatch({
        topicMessages: batch.map(toTopicMessages),
        acks: -1,
        compression: this.compression,
      });
    } catch (error) {
      throw toKafkaError(error, 'producing in a transaction', {
        ...this.context,
        topic: singleTopic(batch),
      });
    }
  }

  async sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      let partitions = byTopic.get(topic);
      if (partitions === undefined) byTopic.set(topic, (partitions = []));
      partitions.push({ partition, offset });
    }
    try {
      await this.transaction.sendOffsets({
        consumerGroupId: groupId,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (error) {
      throw toKafkaError(error, 'adding consumed offsets to a transaction', {
        ...this.context,
        groupId,
      });
    }
  }

  async commit(): Promise<void> {
    try {
      await this.transaction.commit();
    } catch (error) {
      throw toKafkaError(error, 'committing a transaction', this.context);
    }
  }

  async abort(): Promise<void> {
    try {
      await this.transaction.abort();
    } catch (error) {
      throw toKafkaError(error, 'aborting a transaction', this.context);
    }
  }
}

function toTopicMessages({ topic, messages }: OutgoingTopicMessages): {
  topic: string;
  messages: Message[];
} {
  return { topic, messages: messages };
}

function singleTopic(batch: readonly OutgoingTopicMessages[]): string | undefined {
  return batch.length === 1 ? batch[0].topic : undefined;
}
