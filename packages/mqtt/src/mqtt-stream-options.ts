import {
  ACK_MODES,
  ConfigurationError,
  RecordDecoding,
  requireNonEmptyString,
  requireNonNegativeInteger,
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
import { validateTopic, type IClientOptions } from 'mqtt';
import { redactBrokerUrl } from './mqtt-error.js';
import type { MqttQos } from './mqtt-message.js';

/** How payloads become records: a built-in decoder by name, or a function. */
export type MqttDecoderOption = DecoderName | Decoder<unknown>;

/** Client settings the stream and sink control themselves, so `clientOptions` may not set them. */
export const CONTROLLED_CLIENT_OPTIONS = [
  'clientId',
  'clean',
  'protocolVersion',
  'protocolId',
  'reconnectPeriod',
  'resubscribe',
  'manualConnect',
  'customHandleAcks',
  'keepalive',
  'connectTimeout',
  'username',
  'password',
] as const;

/**
 * Further mqtt.js client settings (TLS files, `will`, WebSocket options, `properties` such as
 * `userProperties`), passed through as they are. Settings the connector controls cannot be set here.
 */
export type MqttClientOptions = Omit<IClientOptions, (typeof CONTROLLED_CLIENT_OPTIONS)[number]>;

/** Settings of {@link mqttStream} and {@link MqttReceiver}; `url` and `topics` are required. */
export interface MqttStreamOptions {
  /** The broker: `mqtt://host:1883`, `mqtts://`, `ws://` or `wss://`. */
  readonly url: string;
  /**
   * Topic filters to subscribe to: wildcards (`sensors/+/temperature`, `logs/#`) and shared
   * subscriptions (`$share/group/filter`, so that several instances split one stream) allowed.
   */
  readonly topics: string | readonly string[];
  /**
   * QoS of the subscriptions (default 1). 1 and 2 make the receiver reliable: a persistent
   * session, and each message acknowledged only once the block holding it is stored (or its
   * batch processed, per `ackOn`). 0 makes it unreliable: what was in flight is lost on a crash.
   */
  readonly qos?: MqttQos;
  /** The client id; required with QoS 1 and 2, since the broker keeps the session under it. Default for QoS 0: `dstream-<random>`. */
  readonly clientId?: string;
  /** 5 (MQTT 5, the default) or 4 (MQTT 3.1.1). */
  readonly protocolVersion?: 4 | 5;
  /** MQTT 5: seconds the broker keeps a reliable receiver's session after a disconnection (default 86 400, one day). */
  readonly sessionExpiryInterval?: number;
  /** When messages are acknowledged to the broker: `'stored'` (default) or `'processed'`. */
  readonly ackOn?: AckMode;
  /**
   * Reliable receivers: how many QoS 1/2 messages the broker lets be in flight to one client,
   * unacknowledged (default 20, Mosquitto's `max_inflight_messages`). Once that many wait for
   * their acknowledgement, the block holding them is stored at once rather than at the end of
   * `flushInterval`, so acknowledgements keep flowing: set it to the broker's limit. Should a
   * broker send more, the client stops reading until acknowledgements catch up.
   */
  readonly maxInflight?: number;
  /** Reliable receivers: the longest a received message waits before its block is stored, in milliseconds (default: the context's block interval). */
  readonly flushInterval?: number;
  /** `'string'` (default, UTF-8), `'json'`, `'buffer'` or a function from the payload bytes to a record. */
  readonly decoder?: MqttDecoderOption;
  /** What to do with a payload the decoder rejects: `'fail'` (default), `'skip'` or `deadLetter(sink)`. */
  readonly onDecodeError?: DecodeErrorPolicy;
  readonly username?: string;
  readonly password?: string | Buffer;
  /** Seconds between keep-alive pings (default 30). */
  readonly keepalive?: number;
  /** Milliseconds to wait for the broker's CONNACK (default 10 000). */
  readonly connectTimeout?: number;
  /** Milliseconds before the first reconnection attempt; doubles on each failure (default 500). */
  readonly reconnectDelay?: number;
  /** Upper bound of the reconnection delay, in milliseconds (default 30 000). */
  readonly maxReconnectDelay?: number;
  /** Records per second the receiver may store (default: the context's `maxRate`). */
  readonly maxRate?: number;
  /** Further mqtt.js client settings. */
  readonly clientOptions?: MqttClientOptions;
}

/** {@link MqttStreamOptions} validated, with defaults applied. */
export interface ResolvedMqttStreamOptions<T> {
  readonly url: string;
  /** The URL without credentials, for logs, errors and block metadata. */
  readonly broker: string;
  readonly topics: readonly string[];
  readonly qos: MqttQos;
  /** QoS 1 or 2: acknowledges only what is stored. */
  readonly reliable: boolean;
  readonly clientId: string;
  readonly protocolVersion: 4 | 5;
  readonly sessionExpiryInterval: number;
  readonly ackOn: AckMode;
  readonly maxInflight: number;
  readonly flushInterval: number;
  readonly decoder: Decoder<T>;
  readonly onDecodeError: DecodeErrorPolicy;
  readonly username: string | undefined;
  readonly password: string | Buffer | undefined;
  readonly keepalive: number;
  readonly connectTimeout: number;
  readonly reconnectDelay: number;
  readonly maxReconnectDelay: number;
  readonly maxRate: number | undefined;
  readonly clientOptions: MqttClientOptions;
}

const KNOWN_OPTIONS = new Set([
  'url',
  'topics',
  'qos',
  'clientId',
  'protocolVersion',
  'sessionExpiryInterval',
  'ackOn',
  'maxInflight',
  'flushInterval',
  'decoder',
  'onDecodeError',
  'username',
  'password',
  'keepalive',
  'connectTimeout',
  'reconnectDelay',
  'maxReconnectDelay',
  'maxRate',
  'clientOptions',
]);

/**
 * Messages after which a reliable receiver stores a block whatever else holds, and
 * unacknowledged messages after which it stops reading from a broker that sends more than its
 * in-flight limit.
 */
export const MAX_PENDING_MESSAGES = 10_000;

/** The flush interval of a receiver created without a context's block interval to default to. */
export const DEFAULT_FLUSH_INTERVAL = 200;

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];

/** Validates receiver settings and applies defaults; a bad value fails naming the option. */
export function resolveMqttStreamOptions<T>(
  options: MqttStreamOptions,
  defaults: { readonly flushInterval?: number } = {},
): ResolvedMqttStreamOptions<T> {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError(
      'options',
      options,
      'expected an object with at least url and topics',
    );
  }
  requireKnownOptions(options, KNOWN_OPTIONS, 'mqttStream');
  const url = requireBrokerUrl('url', options.url);
  const topics = requireTopicFilters('topics', options.topics);
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    throw new ConfigurationError('qos', qos, 'expected 0, 1 or 2');
  }
  const reliable = qos > 0;
  let clientId: string;
  if (options.clientId === undefined) {
    if (reliable) {
      throw new ConfigurationError(
        'clientId',
        undefined,
        `a fixed client id is required with qos ${qos}: the broker keeps the receiver's session, and redelivers what it did not acknowledge, under that id`,
      );
    }
    clientId = `dstream-${Math.random().toString(16).slice(2, 10)}`;
  } else {
    clientId = requireNonEmptyString('clientId', options.clientId);
  }
  const protocolVersion = options.protocolVersion ?? 5;
  if (protocolVersion !== 4 && protocolVersion !== 5) {
    throw new ConfigurationError(
      'protocolVersion',
      protocolVersion,
      'expected 5 (MQTT 5) or 4 (MQTT 3.1.1)',
    );
  }
  const sessionExpiryInterval = requireNonNegativeInteger(
    'sessionExpiryInterval',
    options.sessionExpiryInterval ?? 86_400,
  );
  if (sessionExpiryInterval > 0xffffffff) {
    throw new ConfigurationError(
      'sessionExpiryInterval',
      sessionExpiryInterval,
      'expected at most 4294967295 seconds',
    );
  }
  if (reliable && protocolVersion === 5 && sessionExpiryInterval === 0) {
    throw new ConfigurationError(
      'sessionExpiryInterval',
      0,
      'a reliable receiver (qos 1 or 2) needs a session that outlives a disconnection; expected a positive number of seconds',
    );
  }
  const ackOn = requireOneOf('ackOn', options.ackOn ?? 'stored', ACK_MODES);
  if (ackOn === 'processed' && !reliable) {
    throw new ConfigurationError(
      'ackOn',
      ackOn,
      "QoS 0 messages are never acknowledged; 'processed' needs qos 1 or 2",
    );
  }
  const maxInflight = requirePositiveInteger('maxInflight', options.maxInflight ?? 20);
  if (maxInflight > 65_535) {
    throw new ConfigurationError(
      'maxInflight',
      maxInflight,
      'expected at most 65535: MQTT packet identifiers are 16-bit',
    );
  }
  const flushInterval = requirePositiveInteger(
    'flushInterval',
    options.flushInterval ?? defaults.flushInterval ?? DEFAULT_FLUSH_INTERVAL,
  );
  const decoder = resolveDecoder<T>(
    'decoder',
    options.decoder as DecoderName | Decoder<T> | undefined,
  );
  const onDecodeError = options.onDecodeError ?? 'fail';
  // Validated here so that a bad policy fails when the stream is created, not on the first bad payload.
  void new RecordDecoding(decoder, onDecodeError, silentLogger);
  if (options.username !== undefined) requireNonEmptyString('username', options.username);
  if (
    options.password !== undefined &&
    typeof options.password !== 'string' &&
    !Buffer.isBuffer(options.password)
  ) {
    throw new ConfigurationError('password', options.password, 'expected a string or a Buffer');
  }
  const keepalive = requireNonNegativeInteger('keepalive', options.keepalive ?? 30);
  const connectTimeout = requirePositiveInteger('connectTimeout', options.connectTimeout ?? 10_000);
  const reconnectDelay = requirePositiveInteger('reconnectDelay', options.reconnectDelay ?? 500);
  const maxReconnectDelay = requirePositiveInteger(
    'maxReconnectDelay',
    options.maxReconnectDelay ?? 30_000,
  );
  if (maxReconnectDelay < reconnectDelay) {
    throw new ConfigurationError(
      'maxReconnectDelay',
      maxReconnectDelay,
      `must be at least reconnectDelay (${reconnectDelay} ms)`,
    );
  }
  const maxRate =
    options.maxRate === undefined ? undefined : requirePositiveNumber('maxRate', options.maxRate);
  const clientOptions = requireClientOptions('clientOptions', options.clientOptions);
  return {
    url,
    broker: redactBrokerUrl(url),
    topics,
    qos,
    reliable,
    clientId,
    protocolVersion,
    sessionExpiryInterval,
    ackOn,
    maxInflight,
    flushInterval,
    decoder,
    onDecodeError,
    username: options.username,
    password: options.password,
    keepalive,
    connectTimeout,
    reconnectDelay,
    maxReconnectDelay,
    maxRate,
    clientOptions,
  };
}

/** Fails unless `value` is an MQTT broker URL. */
export function requireBrokerUrl(option: string, value: unknown): string {
  const text = requireNonEmptyString(option, value);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ConfigurationError(
      option,
      redactBrokerUrl(text),
      'expected a URL such as mqtt://127.0.0.1:1883',
    );
  }
  if (!MQTT_PROTOCOLS.includes(parsed.protocol)) {
    throw new ConfigurationError(
      option,
      redactBrokerUrl(text),
      `expected a URL with one of the protocols ${MQTT_PROTOCOLS.join(' ')}`,
    );
  }
  return text;
}

/** Fails unless `value` is a topic filter or a non-empty list of distinct ones. */
function requireTopicFilters(option: string, value: unknown): readonly string[] {
  const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  if (list.length === 0) {
    throw new ConfigurationError(
      option,
      value,
      'expected a topic filter or a non-empty array of topic filters',
    );
  }
  const seen = new Set<string>();
  for (const filter of list) {
    const reason = topicFilterProblem(filter);
    if (reason !== undefined) throw new ConfigurationError(option, filter, reason);
    if (seen.has(filter as string))
      throw new ConfigurationError(option, filter, 'the same topic filter is listed twice');
    seen.add(filter as string);
  }
  return [...seen];
}

/** Why `filter` is not a valid MQTT topic filter, or `undefined` when it is. */
export function topicFilterProblem(filter: unknown): string | undefined {
  if (typeof filter !== 'string' || filter.length === 0) return 'expected a non-empty topic filter';
  if (filter.includes('\u0000')) return 'a topic filter may not contain the NUL character';
  let plain = filter;
  if (filter.startsWith('$share/')) {
    const rest = filter.slice('$share/'.length);
    const slash = rest.indexOf('/');
    const group = slash < 0 ? rest : rest.slice(0, slash);
    if (group.length === 0 || /[+#]/.test(group) || slash < 0 || slash === rest.length - 1) {
      return 'expected a shared subscription of the form $share/<group>/<filter>, the group without + or #';
    }
    plain = rest.slice(slash + 1);
  }
  if (!validateTopic(plain)) {
    return "'#' may only be a whole last level and '+' only a whole level, such as sensors/+/temperature or logs/#";
  }
  return undefined;
}

/** Fails unless `value` is an object of mqtt.js settings the connector does not control. */
export function requireClientOptions(option: string, value: unknown): MqttClientOptions {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(option, value, 'expected an object of mqtt.js client options');
  }
  for (const key of CONTROLLED_CLIENT_OPTIONS) {
    if (key in value) {
      throw new ConfigurationError(
        `${option}.${key}`,
        (value as Record<string, unknown>)[key],
        `set by the connector; use the option ${key} instead where there is one`,
      );
    }
  }
  const properties = (value as MqttClientOptions).properties;
  if (properties !== undefined) {
    for (const key of ['topicAliasMaximum', 'sessionExpiryInterval'] as const) {
      if (properties[key] !== undefined) {
        throw new ConfigurationError(
          `${option}.properties.${key}`,
          properties[key],
          key === 'topicAliasMaximum'
            ? 'topic aliases are not supported'
            : `set by the connector; use the option ${key} instead`,
        );
      }
    }
  }
  return value;
}
