import type { MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import { afterEach, describe, it } from 'vitest';
import { StreamingContext } from '@dstream/core';
import { FuzzRun, fuzzCount, fuzzTimeout } from '@dstream/testkit';
import { brokerAddresses, requireBroker } from '../../../infra/test-support/brokers.mjs';
import { mqttStream } from '../src/index.js';
import { mqttClient, unique } from './helpers.js';

const available = await requireBroker('mqtt', 'mqtt fuzz');
const url = brokerAddresses().mqtt;
/** QoS 1 publications awaiting their acknowledgement at once. */
const WINDOW = 200;

/** Connects `clientId` with a persistent session (or, with `clean`, removes it) and returns the client. */
async function session(clientId: string, clean: boolean): Promise<MqttClient> {
  const client = connect(url, {
    clientId,
    clean,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: clean ? 0 : 3600 },
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

describe.skipIf(!available)('mqtt stream under fuzzed input', () => {
  let ssc: StreamingContext | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it(
    'delivers every good JSON payload once and dead-letters every malformed one',
    async () => {
      const run = new FuzzRun('mqtt');
      const topic = unique('dstream-fuzz');
      const clientId = unique('fuzz-receiver');
      // The receiver's persistent session exists before publishing, so the broker keeps every message for it.
      const subscriber = await session(clientId, false);
      await subscriber.subscribeAsync(topic, { qos: 1 });
      await subscriber.endAsync();
      cleanups.push(async () => (await session(clientId, true)).endAsync());

      const publisher = await mqttClient(url, 5);
      cleanups.push(() => publisher.endAsync());
      await run.send(
        (chunk) =>
          Promise.all(chunk.map((payload) => publisher.publishAsync(topic, payload, { qos: 1 }))),
        { chunk: WINDOW },
      );
      ssc = new StreamingContext({ batchInterval: 300, blockInterval: 100 });
      const stream = mqttStream(ssc, {
        url,
        protocolVersion: 5,
        topics: topic,
        qos: 1,
        clientId,
        decoder: 'json',
        onDecodeError: run.deadLetters(),
      });
      run.deliverFrom(stream, (message) => message.payload);
      ssc.start();
      await run.finish(ssc);
    },
    fuzzTimeout(fuzzCount()),
  );
});
