import { ManualClock, StreamingContext } from '@dstream/core';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { MqttError, MqttSink, mqttSink } from '../src/index.js';
import {
  mosquitto,
  mqttClient,
  startAedes,
  unique,
  waitUntil,
  type BrokerUnderTest,
} from './helpers.js';

const mosquittoAvailable = await requireBroker('mosquitto', 'MQTT sink tests on Mosquitto');

const brokers: { name: string; create: () => Promise<BrokerUnderTest> }[] = [
  ...(mosquittoAvailable ? [{ name: 'Mosquitto', create: async () => mosquitto() }] : []),
  { name: 'an in-process aedes broker', create: startAedes },
];

interface Reading {
  readonly site: string;
  readonly value: number;
}

describe.each(brokers)('MQTT sink on $name', ({ create }) => {
  let broker: BrokerUnderTest;
  let ssc: StreamingContext | undefined;
  let clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await create();
  });
  afterAll(async () => {
    await broker.close();
  });
  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
    for (const client of clients) client.end(true);
    clients = [];
  });

  /** Subscribes a plain client to `filter` and collects what arrives. */
  async function subscribe(
    filter: string,
  ): Promise<{ topic: string; payload: string; retain: boolean }[]> {
    const client = await mqttClient(broker.url, broker.protocolVersion);
    clients.push(client);
    const received: { topic: string; payload: string; retain: boolean }[] = [];
    client.on('message', (topic, payload, packet) =>
      received.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
    await client.subscribeAsync(filter, { qos: 2 });
    return received;
  }

  /** Runs one batch of `records` through `sink` with a manual clock. */
  async function runBatch<T>(
    records: T[],
    sink: ReturnType<typeof mqttSink<T>>,
    partitions = 1,
  ): Promise<void> {
    const clock = new ManualClock(0);
    ssc = new StreamingContext({ batchInterval: 1000, clock });
    ssc.queueStream([records]).repartition(partitions).to(sink);
    ssc.start();
    clock.advance(1000);
    await ssc.awaitIdle();
  }

  it('publishes every record to the topic chosen for it, as JSON by default, confirmed at QoS 2', async () => {
    const base = unique('sink');
    const received = await subscribe(`${base}/#`);
    const readings: Reading[] = Array.from({ length: 150 }, (_, i) => ({
      site: i % 3 === 0 ? 'north' : 'south',
      value: i,
    }));
    const sink = mqttSink<Reading>({
      url: broker.url,
      protocolVersion: broker.protocolVersion,
      topic: (r) => `${base}/${r.site}`,
      qos: 2,
    });
    expect(sink.guarantee).toBe('at-least-once');
    // More QoS 2 publications than Mosquitto lets a client have in flight: the sink keeps within its Receive Maximum.
    await runBatch(readings, sink, 2);
    await waitUntil(() => received.length >= 150, '150 publications');
    for (const reading of readings) {
      expect(received).toContainEqual({
        topic: `${base}/${reading.site}`,
        payload: JSON.stringify(reading),
        retain: false,
      });
    }
  });

  it('publishes retained messages that later subscribers receive', async () => {
    const topic = unique('retained');
    const sink = mqttSink<string>({
      url: broker.url,
      protocolVersion: broker.protocolVersion,
      topic,
      retain: true,
      qos: 1,
    });
    await runBatch(['first', 'last'], sink);
    const received = await subscribe(topic);
    await waitUntil(() => received.length >= 1, 'the retained message');
    expect(received[0]).toEqual({ topic, payload: 'last', retain: true });
  });

  it('fails the batch with MQTT_PUBLISH_FAILED when the topic function returns a wildcard', async () => {
    const sink = new MqttSink<string>({
      url: broker.url,
      protocolVersion: broker.protocolVersion,
      topic: (r) => `bad/${r}/#`,
    });
    await sink.open();
    try {
      await expect(
        sink.write(['x'], { batchTime: 0, partition: 0, numPartitions: 1 }),
      ).rejects.toMatchObject({
        code: 'MQTT_PUBLISH_FAILED',
        message: expect.stringMatching(/wildcards/),
      });
    } finally {
      await sink.close();
    }
  });
});

describe('MQTT sink without a broker', () => {
  it('fails to open with MQTT_CONNECTION_FAILED naming the broker, without its credentials', async () => {
    const sink = new MqttSink<string>({
      url: 'mqtt://user:hunter2@127.0.0.1:1',
      topic: 't',
      connectTimeout: 2000,
    });
    const error = await sink.open().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(MqttError);
    expect(error).toMatchObject({ code: 'MQTT_CONNECTION_FAILED', broker: 'mqtt://127.0.0.1:1' });
    expect((error as Error).message).toContain('mqtt://127.0.0.1:1');
    expect((error as Error).message).not.toContain('hunter2');
    await sink.close();
  });
});
