import { DecodeError, StreamingContext, type DStream } from '@dstream/core';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import {
  PubsubError,
  PubsubReceiver,
  pubsubStream,
  type PubsubBlockMetadata,
  type PubsubMessage,
  type PubsubStreamOptions,
} from '../src/index.js';
import {
  PROJECT,
  collect,
  missing,
  numbered,
  publishAll,
  sleep,
  topicWithSubscription,
  unique,
  useEmulator,
  waitUntil,
} from './helpers.js';

const available = await requireBroker('pubsub', 'Pub/Sub receiver tests on the pstest emulator');

describe.skipIf(!available)('Pub/Sub receiver on the pstest emulator', () => {
  let admin: PubSub;
  let contexts: StreamingContext[] = [];

  beforeAll(() => {
    useEmulator();
    admin = new PubSub({ projectId: PROJECT });
  });
  afterAll(async () => {
    await admin.close();
  });
  afterEach(async () => {
    for (const ssc of contexts) await ssc.stop();
    contexts = [];
  });

  function context(batchInterval = 300): StreamingContext {
    const ssc = new StreamingContext({
      batchInterval,
      blockInterval: 100,
      receiverRestartDelay: 200,
    });
    contexts.push(ssc);
    return ssc;
  }

  /** A receiver stream, keeping hold of the receiver (pubsubStream does the same, without returning it). */
  function input<T = string>(
    ssc: StreamingContext,
    options: PubsubStreamOptions,
  ): { receiver: PubsubReceiver<T>; stream: DStream<PubsubMessage<T>> } {
    const receiver = new PubsubReceiver<T>(
      { projectId: PROJECT, flushInterval: ssc.options.blockInterval, ...options },
      { onFatalError: (error) => ssc.reportError(error) },
    );
    const stream = ssc.receiverStream(receiver);
    return { receiver, stream };
  }

  it('delivers every published message with its attributes, ordering key and publish time, then acknowledges it', async () => {
    const { topicName, subscriptionName } = await topicWithSubscription(admin);
    const ssc = context();
    const { receiver, stream } = input(ssc, { subscription: subscriptionName });
    const received = collect(stream);
    const metadata: PubsubBlockMetadata[] = [];
    stream.foreachBatch((_batch, time) => {
      const info = [...ssc.inputInfoOf(time).values()][0];
      for (const block of (info?.metadata.blocks ?? []) as PubsubBlockMetadata[])
        metadata.push(block);
    });
    ssc.start();
    const before = Date.now();
    const payloads = numbered('order', 500);
    await publishAll(admin, topicName, payloads, (i) => ({
      attributes: { index: String(i), kind: i % 2 === 0 ? 'even' : 'odd' },
    }));

    await waitUntil(
      () => received.length >= 500 && receiver.stats.acknowledged >= 500,
      '500 messages stored and acknowledged',
    );
    expect(
      missing(
        payloads,
        received.map((m) => m.data),
      ),
    ).toEqual([]);
    const sample = received.find((m) => m.data === 'order-7')!;
    expect(sample.attributes).toEqual({ index: '7', kind: 'odd' });
    expect(sample.orderingKey).toBe('');
    expect(sample.id).toMatch(/.+/);
    expect(sample.publishTime).toBeGreaterThanOrEqual(before - 5000);
    expect(sample.publishTime).toBeLessThanOrEqual(Date.now());
    // The block metadata lists, per record, its message id, publish time, ordering key and attributes.
    const listed = metadata.flatMap((block) => block.messageIds);
    expect(new Set(listed)).toEqual(new Set(received.map((m) => m.id)));
    const block = metadata.find((b) => b.messageIds.includes(sample.id))!;
    const index = block.messageIds.indexOf(sample.id);
    expect(block.subscription).toBe(`projects/${PROJECT}/subscriptions/${subscriptionName}`);
    expect(block.publishTimes[index]).toBe(sample.publishTime);
    expect(block.attributes[index]).toEqual({ index: '7', kind: 'odd' });
    expect(block.orderingKeys[index]).toBe('');

    // Acknowledged for good: closing the subscription nacks anything unacknowledged, which a new
    // receiver would get at once; it gets nothing.
    await ssc.stop();
    const again = context();
    const second = input(again, { subscription: subscriptionName });
    collect(second.stream);
    again.start();
    await sleep(1500);
    expect(second.receiver.stats.received).toBe(0);
  });

  it('redelivers, once nacked, the messages of a receiver stopped before storing them', async () => {
    const { topicName, subscriptionName } = await topicWithSubscription(admin);
    const stopped = context();
    // Blocks would be stored only after a minute: the receiver is stopped long before.
    const first = input(stopped, { subscription: subscriptionName, flushInterval: 60_000 });
    const storedFirst = collect(first.stream);
    stopped.start();
    const payloads = numbered('unstored', 50);
    await publishAll(admin, topicName, payloads);
    await waitUntil(() => first.receiver.stats.received >= 50, 'the 50 messages to be received');
    await stopped.stop();
    expect(first.receiver.stats).toMatchObject({
      stored: 0,
      acknowledged: 0,
      nacked: 50,
      outstanding: 0,
    });
    expect(storedFirst).toEqual([]);

    const ssc = context();
    const { stream } = input(ssc, { subscription: subscriptionName });
    const received = collect(stream);
    ssc.start();
    // Nacked messages come back at once, well before the 10 s ack deadline would have run out.
    await waitUntil(
      () =>
        missing(
          payloads,
          received.map((m) => m.data),
        ).length === 0,
      'the 50 messages redelivered',
      8000,
    );
  });

  it("never has more messages outstanding than flow control allows, with ackOn 'processed' pacing the pull", async () => {
    const { topicName, subscriptionName } = await topicWithSubscription(admin);
    const ssc = context(200);
    const { receiver, stream } = input(ssc, {
      subscription: subscriptionName,
      ackOn: 'processed',
      flowControl: { maxMessages: 25 },
    });
    const batchSizes: number[] = [];
    const received: string[] = [];
    stream.foreachBatch(async (batch) => {
      const records = batch.collect();
      batchSizes.push(records.length);
      for (const record of records) received.push(record.data);
      await sleep(100); // a slow output: the pull waits for it
    });
    ssc.start();
    const payloads = numbered('paced', 300);
    await publishAll(admin, topicName, payloads);
    await waitUntil(() => missing(payloads, received).length === 0, 'all 300 messages', 40_000);
    expect(receiver.stats.peakOutstanding).toBeLessThanOrEqual(25);
    expect(receiver.stats.peakOutstanding).toBeGreaterThan(0);
    // Messages are acknowledged only after their batch is processed, so no batch holds more.
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(25);
  });

  it('keeps the order of each ordering key', async () => {
    const { topicName, subscriptionName } = await topicWithSubscription(admin, {
      enableMessageOrdering: true,
    });
    const ssc = context();
    const { stream } = input(ssc, {
      subscription: subscriptionName,
      flowControl: { maxMessages: 50 },
    });
    const received = collect(stream);
    ssc.start();
    // The emulator hands over one message per key until it is acknowledged: 20 rounds of three.
    const keys = ['device-a', 'device-b', 'device-c'];
    const payloads = Array.from({ length: 60 }, (_, i) => `${keys[i % 3]}:${Math.floor(i / 3)}`);
    await publishAll(admin, topicName, payloads, (i) => ({ orderingKey: keys[i % 3] }));
    await waitUntil(
      () =>
        missing(
          payloads,
          received.map((m) => m.data),
        ).length === 0,
      'all 60 ordered messages',
    );
    for (const key of keys) {
      const sequence = received
        .filter((m) => m.orderingKey === key)
        .map((m) => Number(m.data.split(':')[1]));
      // Redelivery may repeat a message, never reorder a key's first deliveries.
      const firstSeen = sequence.filter((n, i) => sequence.indexOf(n) === i);
      expect(firstSeen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it('fails the stream with PUBSUB_SUBSCRIPTION_NOT_FOUND naming a missing subscription', async () => {
    const ssc = context();
    const name = unique('no-such-subscription');
    pubsubStream(ssc, { projectId: PROJECT, subscription: name }).foreachBatch(() => undefined);
    const termination = ssc.awaitTermination();
    ssc.start();
    const error = await termination.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(PubsubError);
    expect(error).toMatchObject({
      code: 'PUBSUB_SUBSCRIPTION_NOT_FOUND',
      subscription: `projects/${PROJECT}/subscriptions/${name}`,
      grpcCode: 5,
    });
    expect((error as Error).message).toBe(
      `Pub/Sub subscription projects/${PROJECT}/subscriptions/${name} does not exist; create it, or check the subscription and projectId options`,
    );
  });

  it(
    'extends the leases of messages waiting for a slow batch, so they are not redelivered',
    { timeout: 60_000 },
    async () => {
      // Two subscriptions with a 10 s ack deadline; the first batch takes 13 s. The receiver that
      // extends leases (the default, up to an hour) gets its message once; the one that gives up
      // extending after a second gets it again when the deadline runs out.
      const extended = await topicWithSubscription(admin, { ackDeadlineSeconds: 10 });
      const lapsed = await topicWithSubscription(admin, { ackDeadlineSeconds: 10 });
      await publishAll(admin, extended.topicName, ['kept']);
      await publishAll(admin, lapsed.topicName, ['lapsed']);
      const ssc = context(1000);
      const kept = input(ssc, { subscription: extended.subscriptionName, ackOn: 'processed' });
      const dropped = input(ssc, {
        subscription: lapsed.subscriptionName,
        ackOn: 'processed',
        maxExtension: 1000,
      });
      let slowBatch: string[] | undefined;
      kept.stream.union(dropped.stream).foreachBatch(async (batch) => {
        const data = batch.collect().map((m) => m.data);
        if (slowBatch === undefined && data.length > 0) {
          slowBatch = data;
          await sleep(13_000);
        }
      });
      ssc.start();
      await waitUntil(() => slowBatch !== undefined, 'the slow batch to start', 10_000);
      expect(slowBatch!.sort()).toEqual(['kept', 'lapsed']);
      await waitUntil(
        () => kept.receiver.stats.acknowledged >= 1 && dropped.receiver.stats.received >= 2,
        'the slow batch to end',
        30_000,
      );
      expect(kept.receiver.stats.received).toBe(1);
      expect(dropped.receiver.stats.received).toBeGreaterThanOrEqual(2);
    },
  );

  it("with ackOn 'processed', a graceful stop processes the last batches and acknowledges them before closing", async () => {
    const { topicName, subscriptionName } = await topicWithSubscription(admin);
    const first = context();
    const { receiver, stream } = input(first, {
      subscription: subscriptionName,
      ackOn: 'processed',
      flushInterval: 50,
    });
    const processed = collect(stream);
    // A slow output: when the stop begins, stored messages still wait for their batch.
    stream.foreachBatch(() => sleep(400));
    first.start();
    const payloads = numbered('graceful', 40);
    await publishAll(admin, topicName, payloads);
    await waitUntil(() => receiver.stats.stored >= 40, 'the 40 messages to be stored');
    await first.stop({ graceful: true });
    expect(
      missing(
        payloads,
        processed.map((m) => m.data),
      ),
    ).toEqual([]);
    expect(receiver.stats).toMatchObject({ acknowledged: 40, nacked: 0, outstanding: 0 });

    // Closing nacks whatever is unacknowledged, which a new receiver would get at once: none.
    const ssc = context();
    const second = input(ssc, { subscription: subscriptionName });
    collect(second.stream);
    ssc.start();
    await sleep(1500);
    expect(second.receiver.stats.received).toBe(0);
  });

  describe('undecodable messages follow onDecodeError', () => {
    it("'skip' drops them, counted, and acknowledges them", async () => {
      const { topicName, subscriptionName } = await topicWithSubscription(admin);
      const ssc = context();
      const { receiver, stream } = input<{ n: number }>(ssc, {
        subscription: subscriptionName,
        decoder: 'json',
        onDecodeError: 'skip',
      });
      const received = collect(stream);
      ssc.start();
      await publishAll(admin, topicName, ['{"n":1}', 'nope', '{"n":2}']);
      await waitUntil(
        () => received.length >= 2 && receiver.stats.acknowledged >= 3,
        'two records and three acknowledgements',
      );
      expect(received.map((m) => m.data).sort((a, b) => a.n - b.n)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(receiver.stats.decodeFailures.skipped).toBe(1);
    });

    it("'fail' fails the stream naming the subscription and message, and nacks the message", async () => {
      const { topicName, subscriptionName } = await topicWithSubscription(admin);
      const ssc = context();
      const { receiver, stream } = input<{ n: number }>(ssc, {
        subscription: subscriptionName,
        decoder: 'json',
      });
      stream.foreachBatch(() => undefined);
      const termination = ssc.awaitTermination();
      ssc.start();
      await publishAll(admin, topicName, ['{broken']);
      const error = await termination.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).source).toContain(`subscriptions/${subscriptionName} message `);
      await waitUntil(() => receiver.stats.outstanding === 0, 'the message to be nacked');
      expect(receiver.stats.nacked).toBeGreaterThanOrEqual(1);
      expect(receiver.stats.acknowledged).toBe(0);
    });
  });
});
