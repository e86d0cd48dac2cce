import { ManualClock, StreamingContext, type Sink } from '@dstream/core';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { PubsubError, PubsubSink, pubsubSink } from '../src/index.js';
import { PROJECT, topicWithSubscription, unique, useEmulator, waitUntil } from './helpers.js';

const available = await requireBroker('pubsub', 'Pub/Sub sink tests on the pstest emulator');

interface Reading {
  readonly device: string;
  readonly sequence: number;
}

describe.skipIf(!available)('Pub/Sub sink on the pstest emulator', () => {
  let admin: PubSub;
  let ssc: StreamingContext | undefined;

  beforeAll(() => {
    useEmulator();
    admin = new PubSub({ projectId: PROJECT });
  });
  afterAll(async () => {
    await admin.close();
  });
  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  /** Runs one batch of `records` through `sink`, in `partitions` partitions, with a manual clock. */
  async function runBatch<T>(records: T[], sink: Sink<T>, partitions = 1): Promise<void> {
    const clock = new ManualClock(0);
    ssc = new StreamingContext({ batchInterval: 1000, clock });
    ssc.queueStream([records]).repartition(partitions).to(sink);
    ssc.start();
    clock.advance(1000);
    await ssc.awaitIdle();
  }

  it('publishes a batch with attributes and ordering keys, each key in order', async () => {
    const { topicName, subscriptionName } = await topicWithSubscription(admin, {
      enableMessageOrdering: true,
    });
    const received: Message[] = [];
    const subscription = admin.subscription(subscriptionName);
    subscription.on('message', (message: Message) => {
      received.push(message);
      message.ack();
    });
    try {
      const devices = ['pump', 'valve', 'meter'];
      const readings: Reading[] = Array.from({ length: 90 }, (_, i) => ({
        device: devices[i % 3],
        sequence: Math.floor(i / 3),
      }));
      const sink = pubsubSink<Reading>({
        projectId: PROJECT,
        topic: topicName,
        encoder: 'json',
        attributes: (r) => ({ device: r.device }),
        orderingKey: (r) => r.device,
        batching: { maxMessages: 10 },
      });
      expect(sink.guarantee).toBe('at-least-once');
      await runBatch(readings, sink);
      await waitUntil(() => received.length >= 90, '90 messages');
      for (const device of devices) {
        const mine = received.filter((m) => m.orderingKey === device);
        expect(mine.map((m) => (JSON.parse(m.data.toString()) as Reading).sequence)).toEqual(
          Array.from({ length: 30 }, (_, i) => i),
        );
        expect(mine.every((m) => m.attributes.device === device)).toBe(true);
      }
    } finally {
      await subscription.close();
    }
  });

  it('publishes strings as UTF-8 without attributes or ordering keys by default', async () => {
    const { topicName, subscriptionName } = await topicWithSubscription(admin);
    const received: Message[] = [];
    const subscription = admin.subscription(subscriptionName);
    subscription.on('message', (message: Message) => {
      received.push(message);
      message.ack();
    });
    try {
      await runBatch(
        ['grüße', 'hello'],
        pubsubSink<string>({
          projectId: PROJECT,
          topic: `projects/${PROJECT}/topics/${topicName}`,
        }),
        2,
      );
      await waitUntil(() => received.length >= 2, 'two messages');
      expect(received.map((m) => m.data.toString()).sort()).toEqual(['grüße', 'hello']);
      expect(
        received.every((m) => m.orderingKey === '' && Object.keys(m.attributes).length === 0),
      ).toBe(true);
    } finally {
      await subscription.close();
    }
  });

  it('fails to open with PUBSUB_TOPIC_NOT_FOUND naming a missing topic', async () => {
    const name = unique('no-such-topic');
    const sink = new PubsubSink<string>({ projectId: PROJECT, topic: name });
    const error = await sink.open().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(PubsubError);
    expect(error).toMatchObject({
      code: 'PUBSUB_TOPIC_NOT_FOUND',
      topic: `projects/${PROJECT}/topics/${name}`,
    });
    expect((error as Error).message).toContain(`projects/${PROJECT}/topics/${name} does not exist`);
    await sink.close();
  });
});
