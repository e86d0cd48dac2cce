import { StreamingContext } from '@dstream/core';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { skippedResult } from './benchmark.js';
import {
  addressOf,
  asError,
  brokerUnavailable,
  loadConnector,
  uniqueName,
} from './broker-availability.js';
import { median, round, waitUntil } from './measure.js';

const TITLE = 'MQTT QoS 1 ingestion vs a plain mqtt.js subscriber';
const BATCH_INTERVAL = 200;
const BLOCK_INTERVAL = 50;
const PAYLOAD = Buffer.alloc(64, 'x');
/** QoS 1 publishes awaited together while preloading. */
const PUBLISH_WINDOW = 200;
/** Seconds the broker keeps a disconnected session. */
const SESSION_EXPIRY = 3600;

/**
 * Creates `clientId`'s persistent session subscribed to `topic` at QoS 1, then publishes
 * `count` QoS 1 messages, which the broker queues in that session. What is then measured is how
 * fast a consumer drains its session, not how fast a publisher publishes.
 */
async function preload(url: string, clientId: string, topic: string, count: number): Promise<void> {
  const session = await connectAsync(url, {
    clientId,
    clean: false,
    protocolVersion: 5,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: SESSION_EXPIRY },
  });
  await session.subscribeAsync(topic, { qos: 1 });
  await session.endAsync();
  const publisher = await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 });
  try {
    for (let start = 0; start < count; start += PUBLISH_WINDOW) {
      const window: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(count, start + PUBLISH_WINDOW); i++) {
        window.push(publisher.publishAsync(topic, PAYLOAD, { qos: 1 }));
      }
      await Promise.all(window);
    }
  } finally {
    await publisher.endAsync();
  }
}

/** Ends a session for good: reconnects clean, so the broker forgets it. */
async function discardSession(url: string, clientId: string): Promise<void> {
  const client = await connectAsync(url, {
    clientId,
    clean: true,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
  await client.endAsync();
}

/**
 * The plain client: resumes the session and counts 'message' events; mqtt.js acknowledges each
 * QoS 1 message (PUBACK) as it arrives. Returns the seconds from connecting until all arrived.
 */
async function rawSubscriber(url: string, clientId: string, count: number): Promise<number> {
  let received = 0;
  const started = performance.now();
  // The queued messages flow as soon as the session resumes: listen before connecting.
  const client: MqttClient = connect(url, {
    clientId,
    clean: false,
    protocolVersion: 5,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: SESSION_EXPIRY },
  });
  client.on('message', () => {
    received++;
  });
  let failure: unknown;
  client.on('error', (error) => (failure = error));
  try {
    await waitUntil(
      () => received >= count || failure !== undefined,
      600_000,
      `mqtt.js to receive ${count} messages`,
      2,
    );
    if (failure !== undefined) throw asError(failure);
    return (performance.now() - started) / 1000;
  } finally {
    await client.endAsync();
  }
}

/**
 * The engine: a reliable (QoS 1) MQTT receiver resuming the same kind of session with its
 * defaults (each message acknowledged once the block holding it is stored), and an output
 * operation counting records. Returns the seconds from `start()` until every message was
 * acknowledged to the broker, i.e. stored in the engine; then checks that every one is output.
 */
async function engineIngestion(
  connector: typeof import('@dstream/mqtt'),
  url: string,
  clientId: string,
  topic: string,
  count: number,
): Promise<number> {
  const ssc = new StreamingContext({
    batchInterval: BATCH_INTERVAL,
    blockInterval: BLOCK_INTERVAL,
  });
  const receiver = new connector.MqttReceiver<Buffer>(
    {
      url,
      topics: topic,
      qos: 1,
      clientId,
      decoder: 'buffer',
      sessionExpiryInterval: SESSION_EXPIRY,
      flushInterval: BLOCK_INTERVAL,
    },
    { onFatalError: (error) => ssc.reportError(error) },
  );
  let processed = 0;
  ssc.receiverStream(receiver).foreachBatch((batch) => {
    processed += batch.count();
  });
  let failure: unknown;
  ssc.awaitTermination().catch((error: unknown) => (failure = error));
  const started = performance.now();
  ssc.start();
  try {
    await waitUntil(
      () => receiver.stats.acknowledged >= count || failure !== undefined,
      600_000,
      `the engine to acknowledge ${count} messages`,
      2,
    );
    const seconds = (performance.now() - started) / 1000;
    await waitUntil(
      () => processed >= count || failure !== undefined,
      60_000,
      `the engine to output ${count} messages`,
    );
    if (failure !== undefined) throw asError(failure);
    return seconds;
  } finally {
    await ssc.stop();
  }
}

/** Benchmark 3b: MQTT QoS 1 ingestion through the engine vs a plain mqtt.js subscriber. */
export const mqttIngestion: Benchmark = {
  name: 'mqtt',
  description: 'MQTT QoS 1 ingestion vs a plain mqtt.js subscriber',
  async run({ quick }): Promise<BenchmarkResult> {
    const unavailable = await brokerUnavailable('mqtt');
    if (unavailable !== undefined) return skippedResult(this, TITLE, unavailable);
    const loaded = await loadConnector('@dstream/mqtt', () => import('@dstream/mqtt'));
    if ('problem' in loaded) return skippedResult(this, TITLE, loaded.problem);
    const url = addressOf('mqtt');
    const count = quick ? 10_000 : 100_000;
    const repetitions = quick ? 1 : 3;
    const raw: number[] = [];
    const engine: number[] = [];
    // Alternate the two, so that both see the same broker and machine conditions.
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const variant of ['raw', 'engine'] as const) {
        const topic = uniqueName(`dstream-bench/${variant}`);
        const clientId = uniqueName(`dstream-bench-${variant}`);
        await preload(url, clientId, topic, count);
        try {
          if (variant === 'raw') raw.push(count / (await rawSubscriber(url, clientId, count)));
          else
            engine.push(
              count / (await engineIngestion(loaded.module, url, clientId, topic, count)),
            );
        } finally {
          await discardSession(url, clientId);
        }
      }
    }
    const ratio = median(engine) / median(raw);
    return {
      name: this.name,
      title: TITLE,
      rows: [
        {
          consumer: 'plain mqtt.js: PUBACK on arrival',
          'messages/s (median)': Math.round(median(raw)),
          'runs (messages/s)': raw.map((rate) => Math.round(rate)).join(', '),
          'vs plain client': 1,
        },
        {
          consumer: "engine: MqttReceiver (as mqttStream makes it), QoS 1, ackOn 'stored'",
          'messages/s (median)': Math.round(median(engine)),
          'runs (messages/s)': engine.map((rate) => Math.round(rate)).join(', '),
          'vs plain client': round(ratio, 2),
        },
      ],
      notes: [
        `${count} QoS 1 messages of ${PAYLOAD.length} bytes queued in a persistent session on ${url} before the consumer connects; the consumer resumes the session and drains it. Median of ${repetitions} alternating runs.`,
        `Time from connecting (plain client) or start() (engine) until every message was acknowledged to the broker: on arrival (plain client), once stored in a block (engine: block interval ${BLOCK_INTERVAL} ms, batch interval ${BATCH_INTERVAL} ms; that every message then reaches the output operation is checked, untimed). The broker lets 20 QoS 1 messages be unacknowledged at once (Mosquitto's max_inflight_messages), so the engine's acknowledgements wait for blocks (cut when 20 messages wait, or every block interval).`,
      ],
    };
  },
};
