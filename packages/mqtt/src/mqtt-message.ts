import type { IPublishPacket } from 'mqtt';

/** The MQTT 5 properties a publisher set on a message (user properties, content type, …). */
export type MqttMessageProperties = NonNullable<IPublishPacket['properties']>;

/** The quality-of-service levels of MQTT. */
export type MqttQos = 0 | 1 | 2;

/** One message received from the broker: a record of an MQTT stream. */
export interface MqttMessage<T> {
  /** The topic it was published to (never a filter), so that wildcard subscriptions can tell messages apart. */
  readonly topic: string;
  /** The decoded payload. */
  readonly payload: T;
  /** The QoS it was delivered with: the lower of the publisher's and the subscription's. */
  readonly qos: MqttQos;
  /** Whether the broker sent it as the topic's retained message. */
  readonly retain: boolean;
  /** MQTT 5 properties, when the publisher set any. */
  readonly properties: MqttMessageProperties | undefined;
}
