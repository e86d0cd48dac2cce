import { DStreamError } from '@dstream/core';

/**
 * The stable codes of {@link MqttError}:
 * - `MQTT_CONNECTION_FAILED`: the broker could not be reached or refused the connection.
 * - `MQTT_CONNECTION_LOST`: an established connection dropped; the client reconnects with backoff.
 * - `MQTT_SUBSCRIBE_FAILED`: the broker refused a subscription (granted QoS 0x80 or a reason code of 0x80 or more).
 * - `MQTT_PUBLISH_FAILED`: the sink could not publish a record.
 * - `MQTT_PUBLISH_TIMEOUT`: the broker did not confirm a batch's publications in time.
 * - `MQTT_CLIENT_UNSUPPORTED`: the installed mqtt.js lacks what deferred acknowledgements rely on.
 * - `MQTT_DEAD_LETTER_FAILED`: writing an undecodable message to the dead-letter sink failed.
 */
export type MqttErrorCode =
  | 'MQTT_CONNECTION_FAILED'
  | 'MQTT_CONNECTION_LOST'
  | 'MQTT_SUBSCRIBE_FAILED'
  | 'MQTT_PUBLISH_FAILED'
  | 'MQTT_PUBLISH_TIMEOUT'
  | 'MQTT_CLIENT_UNSUPPORTED'
  | 'MQTT_DEAD_LETTER_FAILED';

/** An MQTT client failure; says which broker (credentials removed) and, when it applies, which topic. */
export class MqttError extends DStreamError {
  declare readonly code: MqttErrorCode;
  /** The broker's URL without credentials, such as `mqtt://10.0.0.5:1883`. */
  readonly broker: string;
  /** The topic or topic filter concerned, if any. */
  readonly topic: string | undefined;

  constructor(
    code: MqttErrorCode,
    broker: string,
    message: string,
    options: { topic?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.broker = broker;
    this.topic = options.topic;
  }
}

/** A broker URL fit for logs and error messages: user name and password removed. */
export function redactBrokerUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
