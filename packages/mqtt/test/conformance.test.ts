import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { connectAsync, type MqttClient } from 'mqtt';
import { waitFor, type ReceiverHarness, type SinkHarness } from '@dstream/testkit';
import { describeReceiverConformance, describeSinkConformance } from '@dstream/testkit/vitest';
import { brokerAddresses, requireBroker } from '../../../infra/test-support/brokers.mjs';
import { MqttReceiver, mqttSink, type MqttMessage } from '../src/index.js';

const available = await requireBroker('mqtt', 'mqtt conformance');
const url = brokerAddresses().mqtt;

/** Seconds the broker keeps the sessions of these tests after a disconnection. */
const SESSION_EXPIRY = 600;

/** A publishing client of the tests, MQTT 5. */
function publisher(): Promise<MqttClient> {
  return connectAsync(url, {
    clientId: `dstream-conformance-publisher-${randomUUID()}`,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
}

/** Removes the session the broker keeps under `clientId` (clean start, no expiry). */
async function removeSession(clientId: string): Promise<void> {
  const client = await connectAsync(url, {
    clientId,
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: 0 },
  });
  await client.endAsync();
}

/**
 * A reliable (QoS 1) MQTT receiver in the receiver conformance suite. Each case has its own
 * topic and one fixed client id, whose persistent session carries over from receiver to
 * receiver as in production. `setup` creates that session with its subscription, as an earlier
 * run of the application would have: the broker queues every message published from then on
 * for the receiver, which is what `whenReady` would otherwise wait for.
 */
function reliableHarness(): ReceiverHarness<MqttMessage<string>> {
  let topic = '';
  let clientId = '';
  let client: MqttClient | undefined;
  return {
    name: 'mqttStream (QoS 1)',
    capabilities: { reliable: true, replayable: true, ordered: true },
    async setup() {
      const id = randomUUID();
      topic = `dstream/conformance/${id}`;
      clientId = `dstream-conformance-${id}`;
      const session = await connectAsync(url, {
        clientId,
        protocolVersion: 5,
        clean: false,
        reconnectPeriod: 0,
        properties: { sessionExpiryInterval: SESSION_EXPIRY },
      });
      await session.subscribeAsync(topic, { qos: 1 });
      await session.endAsync();
      client = await publisher();
    },
    async teardown() {
      await client?.endAsync();
      client = undefined;
      await removeSession(clientId);
    },
    createReceiver: ({ ackOn }) =>
      new MqttReceiver<string>({
        url,
        topics: [topic],
        qos: 1,
        clientId,
        ackOn,
        sessionExpiryInterval: SESSION_EXPIRY,
        // The suite's contexts cut blocks every 50 ms.
        flushInterval: 50,
        reconnectDelay: 100,
      }),
    async publish(ids) {
      // One connection writes them in this order; the broker confirms each (PUBACK).
      await Promise.all(ids.map((id) => client!.publishAsync(topic, String(id), { qos: 1 })));
    },
    idOf: (message) => Number(message.payload),
    settings: {
      deliveryTimeout: 20_000,
      // The broker sends at most max_inflight_messages (20) unacknowledged messages to a client:
      // records of batches that fail are never acknowledged, so no more than 20 can be in them.
      records: 20,
    },
  };
}

/**
 * An unreliable (QoS 0) MQTT receiver in the receiver conformance suite. Nothing is queued for
 * it: `whenReady` publishes probe messages (negative ids, each used once) until one reaches
 * the receiver, which proves its subscription active.
 */
function unreliableHarness(): ReceiverHarness<MqttMessage<string>> {
  let topic = '';
  let client: MqttClient | undefined;
  let nextProbe = -1;
  const probesSeen = new Set<number>();
  return {
    name: 'mqttStream (QoS 0)',
    capabilities: { reliable: false, replayable: false, ordered: true },
    async setup() {
      topic = `dstream/conformance/${randomUUID()}`;
      probesSeen.clear();
      client = await publisher();
    },
    async teardown() {
      await client?.endAsync();
      client = undefined;
    },
    createReceiver({ ackOn }) {
      const receiver = new MqttReceiver<string>({
        url,
        topics: [topic],
        qos: 0,
        reconnectDelay: 100,
      });
      receiver.ackOn = ackOn;
      const store = receiver.store.bind(receiver);
      receiver.store = (message, ackToken) => {
        const id = Number(message.payload);
        if (id < 0) probesSeen.add(id);
        return store(message, ackToken);
      };
      return receiver;
    },
    async whenReady() {
      await waitFor(
        async () => {
          const probe = nextProbe--;
          await client!.publishAsync(topic, String(probe), { qos: 0 });
          try {
            await waitFor(() => probesSeen.has(probe), { timeout: 250, interval: 10 });
            return true;
          } catch {
            return false;
          }
        },
        { timeout: 15_000, interval: 1, message: `the receiver to subscribe to ${topic}` },
      );
    },
    async publish(ids) {
      for (const id of ids) await client!.publishAsync(topic, String(id), { qos: 0 });
    },
    idOf: (message) => Number(message.payload),
  };
}

interface Versioned {
  readonly id: number;
  readonly version: number;
}

/** `mqttSink` in the sink conformance suite: a reader is a QoS 1 subscriber of the topic. */
function sinkHarness(): SinkHarness<Versioned> {
  let topic = '';
  let reader: MqttClient | undefined;
  const received: Versioned[] = [];
  return {
    name: 'mqttSink',
    guarantee: 'at-least-once',
    async setup() {
      topic = `dstream/conformance/sink/${randomUUID()}`;
      received.length = 0;
      reader = await publisher();
      reader.on('message', (_topic, payload) => {
        received.push(JSON.parse(payload.toString()) as Versioned);
      });
      await reader.subscribeAsync(topic, { qos: 1 });
    },
    async teardown() {
      await reader?.endAsync();
      reader = undefined;
    },
    createSink: () => mqttSink<Versioned>({ url, topic, qos: 1, encoder: 'json' }),
    record: (id, version) => ({ id, version }),
    idOf: (record) => record.id,
    versionOf: (record) => record.version,
    readVisible: () => [...received],
  };
}

describe.runIf(available)('mqtt', () => {
  describeReceiverConformance(reliableHarness());
  describeReceiverConformance(unreliableHarness());
  describeSinkConformance(sinkHarness());
});
