import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';

import {
  brokerAddresses,
  canControlBroker,
  requireBroker,
  restartBroker,
} from '../test-support/brokers.mjs';
import { deferred, uniqueName } from './helpers.mjs';

const runMqtt = await requireBroker('mqtt', 'infra mqtt smoke tests');

/** Connects and resolves once the broker accepted the connection. */
async function connect(options = {}) {
  const client = mqtt.connect(brokerAddresses().mqtt, {
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...options,
  });
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return client;
}

describe.runIf(runMqtt)('mosquitto (infra/brokers.sh)', () => {
  it('delivers QoS 1 messages from a publisher to a subscriber', async () => {
    const topic = `${uniqueName('infra-smoke')}/qos1`;
    const subscriber = await connect({ clientId: uniqueName('infra-smoke-sub') });
    const publisher = await connect({ clientId: uniqueName('infra-smoke-pub') });
    try {
      const granted = await subscriber.subscribeAsync(topic, { qos: 1 });
      expect(granted[0].qos).toBe(1);
      const received = [];
      const all = deferred(15_000, 'not every QoS 1 message arrived');
      subscriber.on('message', (_topic, payload, packet) => {
        received.push({ payload: payload.toString(), qos: packet.qos });
        if (received.length === 50) all.resolve();
      });
      for (let i = 0; i < 50; i++) {
        await publisher.publishAsync(topic, `message-${i}`, { qos: 1 });
      }
      await all.promise;
      expect(received.map((message) => message.payload)).toEqual(
        Array.from({ length: 50 }, (_, i) => `message-${i}`),
      );
      expect(received.every((message) => message.qos === 1)).toBe(true);
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });

  it.runIf(canControlBroker('mqtt'))(
    'keeps persistent sessions and retained messages across a restart',
    async () => {
      const base = uniqueName('infra-smoke-persist');
      const queuedTopic = `${base}/queued`;
      const retainedTopic = `${base}/retained`;
      const clientId = `${base}-sub`;

      // A persistent session (clean: false) subscribes at QoS 1, then goes away.
      const first = await connect({ clientId, clean: false });
      await first.subscribeAsync(queuedTopic, { qos: 1 });
      await first.endAsync();

      const publisher = await connect({ clientId: `${base}-pub` });
      await publisher.publishAsync(queuedTopic, 'queued while offline', { qos: 1 });
      await publisher.publishAsync(retainedTopic, 'retained', { qos: 1, retain: true });
      await publisher.endAsync();

      await restartBroker('mosquitto');

      const messages = [];
      const both = deferred(15_000, 'queued or retained message lost across the restart');
      const second = mqtt.connect(brokerAddresses().mqtt, {
        clientId,
        clean: false,
        reconnectPeriod: 0,
      });
      second.on('message', (topic, payload) => {
        messages.push(`${topic.slice(base.length + 1)}=${payload.toString()}`);
        if (messages.length === 2) both.resolve();
      });
      try {
        const connack = await new Promise((resolve, reject) => {
          second.once('connect', resolve);
          second.once('error', reject);
        });
        expect(connack.sessionPresent).toBe(true);
        await second.subscribeAsync(retainedTopic, { qos: 1 });
        await both.promise;
        expect(messages.sort()).toEqual(['queued=queued while offline', 'retained=retained']);
        // Clear the retained message so it does not pile up in the broker's store.
        await second.publishAsync(retainedTopic, '', { qos: 1, retain: true });
      } finally {
        await second.endAsync();
      }
      // Drop the persistent session: a clean connection with the same client id discards it.
      const cleanup = await connect({ clientId, clean: true });
      await cleanup.endAsync();
    },
  );
});
