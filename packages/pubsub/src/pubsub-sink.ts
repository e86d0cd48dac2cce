import {
  ConfigurationError,
  requireFunction,
  requireNonEmptyString,
  requirePositiveInteger,
  type Sink,
  type SinkWriteContext,
  resolvePayloadEncoder,
  type PayloadEncoder,
  type PayloadEncoderName,
  requireKnownOptions,
} from '@dstream/core';
import type { BatchPublishOptions, Topic } from '@google-cloud/pubsub';
import { PubsubClientHandle, fullName, type PubsubClientOptions } from './pubsub-client.js';
import {
  GRPC_NOT_FOUND,
  GRPC_PERMISSION_DENIED,
  PubsubError,
  grpcCodeOf,
  messageOf,
} from './pubsub-error.js';

/** Settings of {@link pubsubSink}; `topic` is required. */
export interface PubsubSinkOptions<T> extends PubsubClientOptions {
  /** The topic: its name in `projectId`, or its full name `projects/<project>/topics/<name>`. */
  readonly topic: string;
  /** How records become message data (default `'auto'`); see {@link resolvePayloadEncoder}. */
  readonly encoder?: PayloadEncoderName | PayloadEncoder<T>;
  /** Attributes of each record's message (string values). */
  readonly attributes?: (record: T) => Readonly<Record<string, string>> | undefined;
  /**
   * The ordering key of each record's message (`undefined` or `''` for none). Given, the topic is
   * published with message ordering: messages of one key reach subscribers in publication order.
   */
  readonly orderingKey?: (record: T) => string | undefined;
  /** How the client batches publications (default: 100 messages, 10 ms, 1 MB). */
  readonly batching?: BatchPublishOptions;
  /** A name for logs and listener events (default `pubsub:<topic>`). */
  readonly name?: string;
}

const KNOWN_OPTIONS = new Set([
  'topic',
  'projectId',
  'pubsub',
  'clientConfig',
  'encoder',
  'attributes',
  'orderingKey',
  'batching',
  'name',
]);

/**
 * A sink publishing every record as a Pub/Sub message, in batches, with attributes and ordering
 * keys chosen per record. A write completes once the service accepted each message; a batch
 * written again publishes again (`'at-least-once'`). When a publication of an ordering key
 * fails, publishing of that key resumes for the next write.
 *
 * @example
 * ```ts
 * alerts.to(pubsubSink<Alert>({ topic: 'alerts', attributes: (a) => ({ severity: a.severity }), orderingKey: (a) => a.deviceId }));
 * ```
 */
export function pubsubSink<T>(options: PubsubSinkOptions<T>): Sink<T> {
  return new PubsubSink(options);
}

/** The sink behind {@link pubsubSink}. */
export class PubsubSink<T> implements Sink<T> {
  readonly guarantee = 'at-least-once' as const;
  readonly name: string;
  private readonly client: PubsubClientHandle;
  private readonly encode: (record: T) => string | Buffer;
  private readonly attributesOf:
    ((record: T) => Readonly<Record<string, string>> | undefined) | undefined;
  private readonly orderingKeyOf: ((record: T) => string | undefined) | undefined;
  private readonly batching: BatchPublishOptions | undefined;
  private topic: Topic | undefined;
  private opening: Promise<Topic> | undefined;

  constructor(private readonly options: PubsubSinkOptions<T>) {
    if (options === null || typeof options !== 'object') {
      throw new ConfigurationError('options', options, 'expected an object with at least topic');
    }
    requireKnownOptions(options, KNOWN_OPTIONS, 'pubsubSink');
    const topic = requireNonEmptyString('topic', options.topic);
    if (topic.startsWith('projects/') && !/^projects\/[^/]+\/topics\/[^/]+$/.test(topic)) {
      throw new ConfigurationError(
        'topic',
        topic,
        'expected a name, or projects/<project>/topics/<name>',
      );
    }
    this.client = new PubsubClientHandle(options);
    this.encode = resolvePayloadEncoder('encoder', options.encoder);
    if (options.attributes !== undefined) requireFunction('attributes', options.attributes);
    if (options.orderingKey !== undefined) requireFunction('orderingKey', options.orderingKey);
    this.attributesOf = options.attributes;
    this.orderingKeyOf = options.orderingKey;
    if (options.batching !== undefined) {
      if (options.batching === null || typeof options.batching !== 'object') {
        throw new ConfigurationError(
          'batching',
          options.batching,
          'expected { maxMessages?, maxMilliseconds?, maxBytes? }',
        );
      }
      requireKnownOptions(
        options.batching,
        ['maxMessages', 'maxMilliseconds', 'maxBytes'],
        'batching',
        'batching.',
      );
      for (const key of ['maxMessages', 'maxMilliseconds', 'maxBytes'] as const) {
        if (options.batching[key] !== undefined)
          requirePositiveInteger(`batching.${key}`, options.batching[key]);
      }
    }
    this.batching = options.batching;
    this.name =
      options.name === undefined ? `pubsub:${topic}` : requireNonEmptyString('name', options.name);
  }

  /** Checks that the topic exists; fails with `PUBSUB_TOPIC_NOT_FOUND` when it does not. */
  async open(): Promise<void> {
    this.opening ??= this.openTopic().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    await this.opening;
  }

  /** Publishes the records; resolves once the service accepted every message. */
  async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
    if (records.length === 0) return;
    await this.open();
    const topic = this.topic!;
    const keys = this.orderingKeyOf === undefined ? undefined : new Set<string>();
    await new Promise<void>((resolve, reject) => {
      let remaining = records.length;
      let failure: unknown;
      const published = (error?: unknown): void => {
        if (error !== undefined && error !== null && failure === undefined) failure = error;
        if (--remaining > 0) return;
        if (failure === undefined) {
          resolve();
          return;
        }
        // A failed publication pauses its ordering key; the batch is retried as a whole.
        if (keys !== undefined) for (const key of keys) topic.resumePublishing(key);
        reject(
          new PubsubError(
            'PUBSUB_PUBLISH_FAILED',
            `Publishing batch ${context.batchTime} partition ${context.partition} to Pub/Sub topic ${this.topicName()} failed: ${messageOf(failure)}`,
            { topic: this.topicName(), cause: failure },
          ),
        );
      };
      for (let i = 0; i < records.length; i++) {
        const record = records[i];
        try {
          const encoded = this.encode(record);
          const orderingKey = this.orderingKeyOf?.(record) || undefined;
          if (orderingKey !== undefined) keys!.add(orderingKey);
          topic.publishMessage(
            {
              data: typeof encoded === 'string' ? Buffer.from(encoded) : encoded,
              attributes: this.attributesOf?.(record),
              orderingKey,
            },
            published,
          );
        } catch (error) {
          published(error);
        }
      }
      // Send what is batched now rather than when the batching delay runs out; not with ordering
      // keys, where flushing sends a key's batches concurrently and they may arrive out of order.
      if (keys === undefined) topic.flush().catch(() => undefined);
    });
  }

  /** Sends what is still batched and closes the client if the sink created it. */
  async close(): Promise<void> {
    const topic = this.topic;
    this.topic = undefined;
    this.opening = undefined;
    try {
      await topic?.flush();
    } finally {
      await this.client.close();
    }
  }

  private async openTopic(): Promise<Topic> {
    const topic = this.client.open().topic(this.options.topic, {
      ...(this.batching === undefined ? {} : { batching: this.batching }),
      messageOrdering: this.orderingKeyOf !== undefined,
    });
    let exists: boolean;
    try {
      [exists] = await topic.exists();
    } catch (error) {
      const code = grpcCodeOf(error);
      throw new PubsubError(
        code === GRPC_PERMISSION_DENIED
          ? 'PUBSUB_PERMISSION_DENIED'
          : code === GRPC_NOT_FOUND
            ? 'PUBSUB_TOPIC_NOT_FOUND'
            : 'PUBSUB_PUBLISH_FAILED',
        `Cannot reach Pub/Sub topic ${this.topicName()}: ${messageOf(error)}`,
        { topic: this.topicName(), cause: error },
      );
    }
    if (!exists) {
      throw new PubsubError(
        'PUBSUB_TOPIC_NOT_FOUND',
        `Pub/Sub topic ${this.topicName()} does not exist; create it, or check the topic and projectId options`,
        {
          topic: this.topicName(),
        },
      );
    }
    this.topic = topic;
    return topic;
  }

  private topicName(): string {
    return fullName('topics', this.options.topic, this.client.projectId);
  }
}
