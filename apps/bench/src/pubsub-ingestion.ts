import { StreamingContext } from '@dstream/core';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { usePubsubEmulator } from '../../../infra/test-support/brokers.mjs';
import type { Benchmark, BenchmarkResult, ResultRow } from './benchmark.js';
import { skippedResult } from './benchmark.js';
import {
  addressOf,
  asError,
  brokerUnavailable,
  loadConnector,
  uniqueName,
} from './broker-availability.js';
import { median, round, waitUntil } from './measure.js';

const TITLE = 'Pub/Sub ingestion vs a plain @google-cloud/pubsub subscriber';
const PROJECT = 'dstream-bench';
const BATCH_INTERVAL = 200;
const BLOCK_INTERVAL = 50;
const PAYLOAD = Buffer.alloc(64, 'x');
/**
 * Streaming-pull streams of both consumers. The emulator hands each stream at most one message
 * per 10 ms delivery round, so streams, not the consumers, bound the rate: more than the
 * client's default 5 make the runs shorter and the consumers busier.
 */
const STREAMS = 20;
/** Publishes awaited together while filling the topic. */
const PUBLISH_WINDOW = 1000;

/** Publishes `count` messages to `topicName`; every subscription of the topic gets them all. */
async function fillTopic(pubsub: PubSub, topicName: string, count: number): Promise<void> {
  const topic = pubsub.topic(topicName);
  for (let start = 0; start < count; start += PUBLISH_WINDOW) {
    const window: Promise<string>[] = [];
    for (let i = start; i < Math.min(count, start + PUBLISH_WINDOW); i++) {
      window.push(topic.publishMessage({ data: PAYLOAD }));
    }
    await Promise.all(window);
  }
  await topic.flush();
}

/**
 * The plain client: a streaming-pull subscriber (the client's default flow control, 1000
 * messages outstanding; {@link STREAMS} streams) acknowledging each message as it arrives. Returns the seconds from
 * opening the subscription until every message arrived.
 */
async function rawSubscriber(pubsub: PubSub, name: string, count: number): Promise<number> {
  let received = 0;
  let failure: unknown;
  const started = performance.now();
  const subscription: Subscription = pubsub.subscription(name, {
    streamingOptions: { maxStreams: STREAMS },
  });
  subscription.on('message', (message: { ack(): void }) => {
    message.ack();
    received++;
  });
  subscription.on('error', (error: unknown) => (failure = error));
  try {
    await waitUntil(
      () => received >= count || failure !== undefined,
      600_000,
      `the plain subscriber to receive ${count} messages`,
      2,
    );
    if (failure !== undefined) throw asError(failure);
    return (performance.now() - started) / 1000;
  } finally {
    await subscription.close();
  }
}

/**
 * The engine: a Pub/Sub receiver with its defaults (the same flow control; each message
 * acknowledged once the block holding it is stored), {@link STREAMS} streams, and an output
 * operation counting records. Returns the seconds from `start()` until every message was
 * acknowledged, i.e. stored in the engine; then checks that every one is output.
 */
async function engineIngestion(
  connector: typeof import('@dstream/pubsub'),
  name: string,
  count: number,
): Promise<number> {
  const ssc = new StreamingContext({
    batchInterval: BATCH_INTERVAL,
    blockInterval: BLOCK_INTERVAL,
  });
  const receiver = new connector.PubsubReceiver<Buffer>(
    {
      projectId: PROJECT,
      subscription: name,
      decoder: 'buffer',
      maxStreams: STREAMS,
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

/** Benchmark 3c: Pub/Sub ingestion through the engine vs a plain subscriber. */
export const pubsubIngestion: Benchmark = {
  name: 'pubsub',
  description: 'Pub/Sub ingestion vs a plain @google-cloud/pubsub subscriber',
  async run({ quick }): Promise<BenchmarkResult> {
    const unavailable = await brokerUnavailable('pubsub');
    if (unavailable !== undefined) return skippedResult(this, TITLE, unavailable);
    const loaded = await loadConnector('@dstream/pubsub', () => import('@dstream/pubsub'));
    if ('problem' in loaded) return skippedResult(this, TITLE, loaded.problem);
    usePubsubEmulator();
    const count = quick ? 3_000 : 20_000;
    const repetitions = quick ? 1 : 3;
    const pubsub = new PubSub({ projectId: PROJECT });
    const raw: number[] = [];
    const engine: number[] = [];
    try {
      // Take turns, so that both see the same emulator and machine conditions.
      for (let repetition = 0; repetition < repetitions; repetition++) {
        const topicName = uniqueName('dstream-bench-topic');
        const [topic] = await pubsub.createTopic(topicName);
        const rawName = uniqueName('dstream-bench-raw');
        const engineName = uniqueName('dstream-bench-engine');
        await topic.createSubscription(rawName);
        await topic.createSubscription(engineName);
        try {
          await fillTopic(pubsub, topicName, count);
          raw.push(count / (await rawSubscriber(pubsub, rawName, count)));
          engine.push(count / (await engineIngestion(loaded.module, engineName, count)));
        } finally {
          await pubsub
            .subscription(rawName)
            .delete()
            .catch(() => undefined);
          await pubsub
            .subscription(engineName)
            .delete()
            .catch(() => undefined);
          await topic.delete().catch(() => undefined);
        }
      }
    } finally {
      await pubsub.close();
    }
    const ratio = median(engine) / median(raw);
    const row = (consumer: string, rates: number[]): ResultRow => ({
      consumer,
      'messages/s (median)': Math.round(median(rates)),
      'runs (messages/s)': rates.map((rate) => Math.round(rate)).join(', '),
      'vs plain client': round(median(rates) / median(raw), 2),
    });
    return {
      name: this.name,
      title: TITLE,
      rows: [
        row('plain @google-cloud/pubsub: ack on arrival', raw),
        row("engine: PubsubReceiver (as pubsubStream makes it), ackOn 'stored'", engine),
      ],
      notes: [
        `${count} messages of ${PAYLOAD.length} bytes published to a topic on the Pub/Sub emulator (pstest) at ${addressOf('pubsub')} before either consumer starts; each consumer drains its own subscription of that topic. Median of ${repetitions} runs taking turns; engine / plain client: ${round(ratio, 2)}.`,
        `Time from opening the subscription (plain client) or start() (engine) until every message was acknowledged: on arrival (plain client), once stored in a block (engine: block interval ${BLOCK_INTERVAL} ms, batch interval ${BATCH_INTERVAL} ms; that every message then reaches the output operation is checked, untimed). Both use the client's default flow control (1000 messages outstanding) and ${STREAMS} streaming-pull streams.`,
        `The emulator, not the consumers, sets the pace: it hands each stream at most one message per 10 ms delivery round (about 100 messages/s per stream), so the figures show whether the engine keeps up with the plain client at that rate, not what either does against the real service.`,
      ],
    };
  },
};
