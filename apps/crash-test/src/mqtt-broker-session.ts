import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { DeviceReading } from './device-readings.js';

/** Seconds the broker keeps a pipeline's session while no child is connected. */
const SESSION_EXPIRY = 3600;

function sessionOptions(clientId: string, clean: boolean): IClientOptions {
  return {
    clientId,
    clean,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: clean ? 0 : SESSION_EXPIRY },
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  };
}

/**
 * Creates the persistent session of a pipeline's receiver before anything is published: the
 * broker then queues every QoS 1 message for `clientId`, also while no child is connected (the
 * receiver resumes this session, and subscribes again, when it connects).
 */
export async function createPersistentSession(
  url: string,
  clientId: string,
  topicFilter: string,
): Promise<void> {
  const client = await connectAsync(url, sessionOptions(clientId, false));
  try {
    await client.subscribeAsync(topicFilter, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

/** Removes the pipeline's session from the broker, with whatever it still queues. */
export async function removeSession(url: string, clientId: string): Promise<void> {
  const client = await connectAsync(url, sessionOptions(clientId, true));
  await client.endAsync();
}

/**
 * Publishes the readings with QoS 1 (each acknowledged by the broker) as JSON to
 * `<topicPrefix>/<device>`, in `slices` slices with `pause` milliseconds after each.
 */
export async function publishReadings(
  url: string,
  topicPrefix: string,
  readings: readonly DeviceReading[],
  slices: number,
  pause: number,
): Promise<void> {
  const client: MqttClient = await connectAsync(url, {
    clientId: `dstream-crash-publisher-${Math.random().toString(16).slice(2, 10)}`,
    protocolVersion: 5,
    clean: true,
  });
  try {
    const perSlice = Math.ceil(readings.length / slices);
    for (let start = 0; start < readings.length; start += perSlice) {
      await Promise.all(
        readings.slice(start, start + perSlice).map((reading) =>
          client.publishAsync(`${topicPrefix}/${reading.device}`, JSON.stringify(reading), {
            qos: 1,
          }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  } finally {
    await client.endAsync();
  }
}
