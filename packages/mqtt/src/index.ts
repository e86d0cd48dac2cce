/**
 * @dstream/mqtt: MQTT input streams (a reliable receiver for QoS 1 and 2, an unreliable one for
 * QoS 0) and an MQTT sink, on mqtt.js.
 */
export { mqttStream } from './mqtt-stream.js';
export { MqttReceiver } from './mqtt-receiver.js';
export type { MqttReceiverStats, MqttReceiverHooks } from './mqtt-receiver.js';
export type { MqttMessage, MqttMessageProperties, MqttQos } from './mqtt-message.js';
export {
  resolveMqttStreamOptions,
  topicFilterProblem,
  DEFAULT_FLUSH_INTERVAL,
} from './mqtt-stream-options.js';
export type {
  MqttStreamOptions,
  ResolvedMqttStreamOptions,
  MqttClientOptions,
  MqttDecoderOption,
} from './mqtt-stream-options.js';
export { mqttSink, MqttSink } from './mqtt-sink.js';
export type { MqttSinkOptions } from './mqtt-sink.js';
export { MqttError } from './mqtt-error.js';
export type { MqttErrorCode } from './mqtt-error.js';
