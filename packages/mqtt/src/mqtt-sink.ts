import {
  ConfigurationError,
  requireNonEmptyString,
  requireNonNegativeInteger,
  requirePositiveInteger,
  type Sink,
  type SinkWriteContext,
  resolvePayloadEncoder,
  type PayloadEncoder,
  type PayloadEncoderName,
  requireKnownOptions,
} from '@dstream/core';
import {
  connect,
  type IClientOptions,
  type IClientPublishOptions,
  type MqttClient,
  type Packet,
} from 'mqtt';
import { MqttError, messageOf, redactBrokerUrl } from './mqtt-error.js';
import type { MqttQos } from './mqtt-message.js';
import {
  requireBrokerUrl,
  requireClientOptions,
  type MqttClientOptions,
} from './mqtt-stream-options.js';

/** Settings of {@link mqttSink}; `url` and `topic` are required. */
export interface MqttSinkOptions<T> {
  /** The broker: `mqtt://host:1883`, `mqtts://`, `ws://` or `wss://`. */
  readonly url: string;
  /** The topic to publish to, or a function choosing it per record (no wildcards). */
  readonly topic: string | ((record: T) => string);
  /** QoS of the publications (default 1): a batch completes once the broker confirmed every one. */
  readonly qos?: MqttQos;
  /** Publish as the topic's retained message (default false). */
  readonly retain?: boolean;
  /** How records become payloads (default `'auto'`); see {@link resolvePayloadEncoder}. */
  readonly encoder?: PayloadEncoderName | PayloadEncoder<T>;
  /** Default: `dstream-sink-<random>`, with a clean session. */
  readonly clientId?: string;
  /** 5 (MQTT 5, the default) or 4 (MQTT 3.1.1). */
  readonly protocolVersion?: 4 | 5;
  readonly username?: string;
  readonly password?: string | Buffer;
  /** Seconds between keep-alive pings (default 30). */
  readonly keepalive?: number;
  /** Milliseconds to wait for the first connection (default 10 000). */
  readonly connectTimeout?: number;
  /** Milliseconds a batch partition may wait for the broker to confirm its publications (default 30 000). */
  readonly publishTimeout?: number;
  /** Publications awaiting the broker's confirmation at once, at most (default 1 000; never above the broker's MQTT 5 Receive Maximum). */
  readonly maxInflight?: number;
  /** Milliseconds between reconnection attempts after the connection dropped (default 1 000). */
  readonly reconnectPeriod?: number;
  /** A name for logs and listener events (default `mqtt:<topic>`). */
  readonly name?: string;
  /** Further mqtt.js client settings. */
  readonly clientOptions?: MqttClientOptions;
}

const KNOWN_OPTIONS = new Set([
  'url',
  'topic',
  'qos',
  'retain',
  'encoder',
  'clientId',
  'protocolVersion',
  'username',
  'password',
  'keepalive',
  'connectTimeout',
  'publishTimeout',
  'maxInflight',
  'reconnectPeriod',
  'name',
  'clientOptions',
]);

/**
 * A sink publishing every record to an MQTT topic, or to a topic chosen per record. With QoS 1
 * and 2 a write completes once the broker confirmed each publication (PUBACK / PUBCOMP), so a
 * batch is complete only when its records reached the broker; a batch written again publishes
 * again (`'at-least-once'`).
 *
 * @example
 * ```ts
 * alerts.to(mqttSink({ url: 'mqtt://127.0.0.1:1883', topic: (a) => `alerts/${a.site}`, qos: 1 }));
 * ```
 */
export function mqttSink<T>(options: MqttSinkOptions<T>): Sink<T> {
  return new MqttSink(options);
}

/** The sink behind {@link mqttSink}. */
export class MqttSink<T> implements Sink<T> {
  readonly guarantee = 'at-least-once' as const;
  readonly name: string;
  private readonly broker: string;
  private readonly topicOf: ((record: T) => string) | undefined;
  private readonly fixedTopic: string | undefined;
  private readonly encode: (record: T) => string | Buffer;
  private readonly publishOptions: IClientPublishOptions;
  private readonly clientOptions: IClientOptions;
  private readonly connectTimeout: number;
  private readonly publishTimeout: number;
  private readonly maxInflight: number;
  private client: MqttClient | undefined;
  private opening: Promise<void> | undefined;

  constructor(private readonly options: MqttSinkOptions<T>) {
    if (options === null || typeof options !== 'object') {
      throw new ConfigurationError(
        'options',
        options,
        'expected an object with at least url and topic',
      );
    }
    requireKnownOptions(options, KNOWN_OPTIONS, 'mqttSink');
    const url = requireBrokerUrl('url', options.url);
    this.broker = redactBrokerUrl(url);
    if (typeof options.topic === 'function') {
      this.topicOf = options.topic;
    } else {
      const problem = publishTopicProblem(options.topic);
      if (problem !== undefined)
        throw new ConfigurationError(
          'topic',
          options.topic,
          `${problem}, or a function (record) => topic`,
        );
      this.fixedTopic = options.topic;
    }
    const qos = options.qos ?? 1;
    if (qos !== 0 && qos !== 1 && qos !== 2)
      throw new ConfigurationError('qos', qos, 'expected 0, 1 or 2');
    const retain = options.retain ?? false;
    if (typeof retain !== 'boolean')
      throw new ConfigurationError('retain', retain, 'expected true or false');
    this.publishOptions = { qos, retain };
    this.encode = resolvePayloadEncoder('encoder', options.encoder);
    const protocolVersion = options.protocolVersion ?? 5;
    if (protocolVersion !== 4 && protocolVersion !== 5) {
      throw new ConfigurationError(
        'protocolVersion',
        protocolVersion,
        'expected 5 (MQTT 5) or 4 (MQTT 3.1.1)',
      );
    }
    if (options.username !== undefined) requireNonEmptyString('username', options.username);
    this.connectTimeout = requirePositiveInteger(
      'connectTimeout',
      options.connectTimeout ?? 10_000,
    );
    this.publishTimeout = requirePositiveInteger(
      'publishTimeout',
      options.publishTimeout ?? 30_000,
    );
    this.maxInflight = requirePositiveInteger('maxInflight', options.maxInflight ?? 1_000);
    const clientOptions = requireClientOptions('clientOptions', options.clientOptions);
    this.clientOptions = {
      ...clientOptions,
      clientId:
        options.clientId === undefined
          ? `dstream-sink-${Math.random().toString(16).slice(2, 10)}`
          : requireNonEmptyString('clientId', options.clientId),
      protocolVersion,
      clean: true,
      keepalive: requireNonNegativeInteger('keepalive', options.keepalive ?? 30),
      connectTimeout: this.connectTimeout,
      reconnectPeriod: requirePositiveInteger('reconnectPeriod', options.reconnectPeriod ?? 1_000),
      username: options.username,
      password: options.password,
    };
    this.name =
      options.name === undefined
        ? `mqtt:${this.fixedTopic ?? '<per record>'}`
        : requireNonEmptyString('name', options.name);
  }

  /** Connects to the broker; fails with `MQTT_CONNECTION_FAILED` when it cannot within `connectTimeout`. */
  open(): Promise<void> {
    this.opening ??= this.connect();
    return this.opening;
  }

  /**
   * Publishes the records, at most as many unconfirmed at once as the broker accepts (its MQTT 5
   * Receive Maximum, else `maxInflight`); resolves once the broker confirmed them all (QoS 1 and 2).
   */
  async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
    if (records.length === 0) return;
    await this.open();
    const client = this.client!;
    const window = Math.min(
      this.maxInflight,
      client.serverProperties?.receiveMaximum ?? this.maxInflight,
    );
    const total = records.length;
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let inFlight = 0;
      let pumping = false;
      let finished = false;
      let failure: unknown;
      let failedTopic = this.fixedTopic ?? '';
      const timer = setTimeout(() => {
        finished = true;
        reject(
          new MqttError(
            'MQTT_PUBLISH_TIMEOUT',
            this.broker,
            `MQTT broker ${this.broker} did not confirm the publications of batch ${context.batchTime} partition ${context.partition} within ${this.publishTimeout} ms`,
            { topic: this.fixedTopic },
          ),
        );
      }, this.publishTimeout);
      const settle = (): void => {
        if (finished || inFlight > 0 || (next < total && failure === undefined)) return;
        finished = true;
        clearTimeout(timer);
        if (failure === undefined) resolve();
        else reject(this.publishError(failedTopic, failure));
      };
      const published = (error?: Error, packet?: Packet): void => {
        inFlight--;
        if (error !== undefined && error !== null && failure === undefined) {
          failure = error;
          if (packet !== undefined && packet.cmd === 'publish') failedTopic = packet.topic;
        }
        pump();
        settle();
      };
      // Publishes while the window has room; callbacks that run synchronously re-enter through the loop.
      const pump = (): void => {
        if (pumping) return;
        pumping = true;
        while (next < total && inFlight < window && failure === undefined && !finished) {
          const record = records[next++];
          inFlight++;
          let topic: string;
          let payload: string | Buffer;
          try {
            topic = this.fixedTopic ?? this.topicFor(record);
            payload = this.encode(record);
          } catch (error) {
            published(error as Error);
            continue;
          }
          client.publish(topic, payload, this.publishOptions, published);
        }
        pumping = false;
      };
      pump();
      settle();
    });
  }

  /** Disconnects once publications in flight are confirmed. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.opening = undefined;
    if (client === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, this.connectTimeout);
      client.end(false, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private topicFor(record: T): string {
    const topic = this.topicOf!(record);
    const problem = publishTopicProblem(topic);
    if (problem !== undefined)
      throw new TypeError(`the topic function returned ${JSON.stringify(topic)}: ${problem}`);
    return topic;
  }

  private publishError(topic: string, cause: unknown): MqttError {
    return new MqttError(
      'MQTT_PUBLISH_FAILED',
      this.broker,
      `Publishing to topic ${topic || '(none)'} on MQTT broker ${this.broker} failed: ${messageOf(cause)}`,
      {
        topic: topic || undefined,
        cause,
      },
    );
  }

  private connect(): Promise<void> {
    const client = connect(this.options.url, this.clientOptions);
    this.client = client;
    return new Promise<void>((resolve, reject) => {
      const fail = (cause: unknown): void => {
        clearTimeout(timer);
        client.removeListener('connect', succeed);
        client.end(true);
        this.client = undefined;
        this.opening = undefined;
        reject(
          new MqttError(
            'MQTT_CONNECTION_FAILED',
            this.broker,
            `Cannot connect the MQTT sink to broker ${this.broker}: ${messageOf(cause)}`,
            { cause },
          ),
        );
      };
      const succeed = (): void => {
        clearTimeout(timer);
        client.removeListener('error', fail);
        // Later errors are retried by the client; a write that cannot complete times out.
        client.on('error', () => undefined);
        resolve();
      };
      const timer = setTimeout(
        () => fail(new Error(`no CONNACK within ${this.connectTimeout} ms`)),
        this.connectTimeout,
      );
      client.once('connect', succeed);
      client.once('error', fail);
    });
  }
}

/** Why `topic` cannot be published to, or `undefined` when it can. */
function publishTopicProblem(topic: unknown): string | undefined {
  if (typeof topic !== 'string' || topic.length === 0) return 'expected a non-empty topic';
  if (topic.includes('+') || topic.includes('#'))
    return 'a topic to publish to may not contain the wildcards + or #';
  if (topic.includes('\u0000')) return 'a topic may not contain the NUL character';
  return undefined;
}
