import {
  ConfigurationError,
  type Decoder,
  type DStream,
  type StreamingContext,
} from '@dstream/core';
import type { MqttMessage } from './mqtt-message.js';
import { MqttReceiver } from './mqtt-receiver.js';
import type { MqttStreamOptions } from './mqtt-stream-options.js';

/**
 * A stream of the messages published to MQTT `topics`, one {@link MqttMessage} per message.
 * QoS 1 and 2 (the default is 1) make it reliable: a message is acknowledged to the broker only
 * once the block holding it is stored (`ackOn: 'stored'`, the default) or its batch processed
 * (`ackOn: 'processed'`). QoS 0 makes it unreliable. The receiver's clients are closed when the
 * context stops. See {@link MqttReceiver}.
 *
 * The payload type follows `decoder`: `string` by default, `Buffer` for `'buffer'`, what the
 * function returns for a function, and `T` (default `unknown`) for `'json'`.
 *
 * @example
 * ```ts
 * const readings = mqttStream<{ celsius: number }>(ssc, {
 *   url: 'mqtt://127.0.0.1:1883',
 *   topics: ['sensors/+/temperature'],
 *   qos: 1,
 *   clientId: 'temperature-job',
 *   decoder: 'json',
 * });
 * readings.map((m) => [m.topic, m.payload.celsius] as [string, number]).reduceByKey(Math.max).print();
 * ```
 */
export function mqttStream<T>(
  ssc: StreamingContext,
  options: MqttStreamOptions & { readonly decoder: Decoder<T> },
): DStream<MqttMessage<T>>;
export function mqttStream(
  ssc: StreamingContext,
  options: MqttStreamOptions & { readonly decoder: 'buffer' },
): DStream<MqttMessage<Buffer>>;
export function mqttStream<T = unknown>(
  ssc: StreamingContext,
  options: MqttStreamOptions & { readonly decoder: 'json' },
): DStream<MqttMessage<T>>;
export function mqttStream(
  ssc: StreamingContext,
  options: MqttStreamOptions & { readonly decoder?: 'string' },
): DStream<MqttMessage<string>>;
export function mqttStream(
  ssc: StreamingContext,
  options: MqttStreamOptions,
): DStream<MqttMessage<unknown>> {
  if (ssc === null || typeof ssc !== 'object' || typeof ssc.receiverStream !== 'function') {
    throw new ConfigurationError('ssc', ssc, 'expected a StreamingContext');
  }
  const receiver = new MqttReceiver<unknown>(
    { ...options, flushInterval: options?.flushInterval ?? ssc.options.blockInterval },
    { onFatalError: (error) => ssc.reportError(error) },
  );
  const maxRate = receiver.options.maxRate;
  const stream = ssc.receiverStream(receiver, maxRate === undefined ? {} : { maxRate });
  return stream;
}
