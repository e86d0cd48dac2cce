import {
  DecodeError,
  StreamingContext,
  deadLetter,
  type DStream,
  type DeadLetterRecord,
  type Sink,
} from '@dstream/core';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import {
  MqttReceiver,
  mqttStream,
  type MqttMessage,
  type MqttStreamOptions,
} from '../src/index.js';
import {
  collect,
  missing,
  mosquitto,
  mqttClient,
  numbered,
  publishAll,
  runFixture,
  sleep,
  startAedes,
  unique,
  waitUntil,
  type BrokerUnderTest,
} from './helpers.js';

const mosquittoAvailable = await requireBroker('mosquitto', 'MQTT receiver tests on Mosquitto');

interface BrokerCase {
  readonly name: string;
  /** aedes 0.51 speaks MQTT 3.1.1 without $share support; the shared-subscription case runs on Mosquitto. */
  readonly sharedSubscriptions: boolean;
  /** Mosquitto can be restarted when infra/brokers.sh manages it (MQTT_URL is its default address). */
  readonly restartable: boolean;
  readonly create: () => Promise<BrokerUnderTest>;
}

const brokers: BrokerCase[] = [
  ...(mosquittoAvailable
    ? [
        {
          name: 'Mosquitto',
          sharedSubscriptions: true,
          restartable: mosquitto().restartable,
          create: async () => mosquitto(),
        },
      ]
    : []),
  {
    name: 'an in-process aedes broker',
    sharedSubscriptions: false,
    restartable: true,
    create: startAedes,
  },
];

describe.each(brokers)('MQTT receiver on $name', ({ create, sharedSubscriptions, restartable }) => {
  let broker: BrokerUnderTest;
  let contexts: StreamingContext[] = [];
  let clients: MqttClient[] = [];
  let sessions: string[] = [];

  beforeAll(async () => {
    broker = await create();
  });

  afterAll(async () => {
    await broker.close();
  });

  afterEach(async () => {
    for (const ssc of contexts) await ssc.stop();
    for (const client of clients) client.end(true);
    // Leave no persistent session behind on the broker.
    for (const clientId of sessions) await removeSession(clientId);
    contexts = [];
    clients = [];
    sessions = [];
  });

  /** Removes the session the broker keeps under `clientId`. */
  async function removeSession(clientId: string): Promise<void> {
    const client = connect(broker.url, {
      clientId,
      clean: true,
      protocolVersion: broker.protocolVersion,
      properties: broker.protocolVersion === 5 ? { sessionExpiryInterval: 0 } : undefined,
      reconnectPeriod: 0,
    });
    await new Promise<void>((resolve) => {
      client.once('connect', () => resolve());
      client.once('error', () => resolve());
    });
    await client.endAsync();
  }

  function context(): StreamingContext {
    const ssc = new StreamingContext({
      batchInterval: 300,
      blockInterval: 100,
      receiverRestartDelay: 200,
    });
    contexts.push(ssc);
    return ssc;
  }

  /** A receiver stream, keeping hold of the receiver (mqttStream does the same, without returning it). */
  function input<T = string>(
    ssc: StreamingContext,
    options: Omit<MqttStreamOptions, 'url'>,
  ): { receiver: MqttReceiver<T>; stream: DStream<MqttMessage<T>> } {
    const receiver = new MqttReceiver<T>(
      {
        url: broker.url,
        protocolVersion: broker.protocolVersion,
        flushInterval: ssc.options.blockInterval,
        ...options,
      },
      { onFatalError: (error) => ssc.reportError(error) },
    );
    const stream = ssc.receiverStream(receiver);
    return { receiver, stream };
  }

  async function publisher(): Promise<MqttClient> {
    const client = await mqttClient(broker.url, broker.protocolVersion);
    clients.push(client);
    return client;
  }

  /**
   * Creates the persistent session of `clientId` with its subscriptions, as a receiver that ran
   * before would have left it, so that messages published from now on are kept for it.
   */
  async function createSession(clientId: string, topics: string[], qos: 1 | 2 = 1): Promise<void> {
    sessions.push(clientId);
    const client = connect(broker.url, {
      clientId,
      clean: false,
      protocolVersion: broker.protocolVersion,
      properties: broker.protocolVersion === 5 ? { sessionExpiryInterval: 3600 } : undefined,
      reconnectPeriod: 0,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(topics, { qos });
    await client.endAsync();
  }

  it('delivers every message of wildcard subscriptions with its topic, acknowledging each once stored (QoS 1)', async () => {
    const base = unique('wildcards');
    const clientId = unique('receiver');
    const topics = [`${base}/+/temperature`, `${base}/logs/#`];
    await createSession(clientId, topics);
    const ssc = context();
    const { receiver, stream } = input(ssc, { topics, qos: 1, clientId });
    const received = collect(stream);
    ssc.start();

    const client = await publisher();
    const kitchen = numbered('kitchen', 50);
    const garage = numbered('garage', 50);
    const logs = numbered('log', 20);
    await publishAll(client, `${base}/other/humidity`, numbered('unmatched', 10));
    await Promise.all([
      publishAll(client, `${base}/kitchen/temperature`, kitchen),
      publishAll(client, `${base}/garage/temperature`, garage),
      publishAll(client, `${base}/logs/app/error`, logs),
    ]);

    await waitUntil(() => received.length >= 120, '120 messages');
    await waitUntil(() => receiver.stats.acknowledged >= 120, '120 acknowledgements');
    expect(
      missing(
        kitchen,
        received.filter((m) => m.topic === `${base}/kitchen/temperature`).map((m) => m.payload),
      ),
    ).toEqual([]);
    expect(
      missing(
        garage,
        received.filter((m) => m.topic === `${base}/garage/temperature`).map((m) => m.payload),
      ),
    ).toEqual([]);
    expect(
      missing(
        logs,
        received.filter((m) => m.topic === `${base}/logs/app/error`).map((m) => m.payload),
      ),
    ).toEqual([]);
    expect(received.some((m) => m.topic.endsWith('/humidity'))).toBe(false);
    expect(received[0]).toMatchObject({ qos: 1, retain: false });
    expect(receiver.capabilities).toEqual({ reliable: true, replayable: true, ordered: true });
    // Kitchen readings were published in order on one topic: they are stored in that order.
    const kitchenOrder = received
      .filter((m) => m.topic === `${base}/kitchen/temperature`)
      .map((m) => m.payload);
    expect(kitchenOrder).toEqual(kitchen);
  });

  it('with the write-ahead log on, acknowledges messages once their block is in the log', async () => {
    const topic = unique('wal');
    const clientId = unique('receiver');
    await createSession(clientId, [topic]);
    const checkpointDir = await mkdtemp(path.join(tmpdir(), 'dstream-mqtt-wal-'));
    try {
      const ssc = new StreamingContext({
        batchInterval: 300,
        blockInterval: 100,
        checkpointDir,
        writeAheadLog: true,
      });
      contexts.push(ssc);
      const { receiver, stream } = input(ssc, { topics: topic, qos: 1, clientId });
      const received = collect(stream);
      ssc.start();
      const payloads = numbered('logged', 60);
      await publishAll(await publisher(), topic, payloads);
      await waitUntil(
        () => receiver.stats.acknowledged >= 60 && received.length >= 60,
        '60 messages logged, acknowledged and processed',
      );
      const logged = await readdir(path.join(checkpointDir, 'received-blocks'));
      const bytes = (
        await Promise.all(
          logged.map((file) => readFile(path.join(checkpointDir, 'received-blocks', file))),
        )
      )
        .map((b) => b.toString('latin1'))
        .join('');
      for (const payload of payloads) expect(bytes).toContain(payload);
      await ssc.stop();
    } finally {
      await rm(checkpointDir, { recursive: true, force: true });
    }
  });

  it('receives QoS 2 messages exactly once over each MQTT version the broker speaks', async () => {
    const versions: (4 | 5)[] = broker.protocolVersion === 5 ? [4, 5] : [4];
    for (const protocolVersion of versions) {
      const topic = unique(`qos2-v${protocolVersion}`);
      const clientId = unique('receiver');
      await createSession(clientId, [topic], 2);
      const ssc = context();
      const { receiver, stream } = input(ssc, { topics: topic, qos: 2, clientId, protocolVersion });
      const received = collect(stream);
      ssc.start();
      const payloads = numbered('exactly-once', 100);
      await publishAll(await publisher(), topic, payloads, 2);
      await waitUntil(
        () => received.length >= 100 && receiver.stats.acknowledged >= 100,
        `100 QoS 2 messages over protocol version ${protocolVersion}`,
      );
      await sleep(300);
      expect(received.map((m) => m.payload)).toEqual(payloads);
      expect(received.every((m) => m.qos === 2)).toBe(true);
      await ssc.stop();
    }
  });

  it('loses nothing when a reliable receiver dies after receiving messages but before storing them', async () => {
    const topic = unique('crash');
    const clientId = unique('receiver');
    await createSession(clientId, [topic]);
    const payloads = numbered('crash', 100);
    await publishAll(await publisher(), topic, payloads);

    // A process that takes messages without storing them, killed without warning.
    const doomed = runFixture('receive-without-storing', [
      JSON.stringify({
        url: broker.url,
        topics: topic,
        qos: 1,
        clientId,
        protocolVersion: broker.protocolVersion,
      }),
    ]);
    const receivedBeforeDeath = (): number =>
      Math.max(
        0,
        ...doomed.lines.map((line) => (line.startsWith('received ') ? Number(line.slice(9)) : 0)),
      );
    try {
      await waitUntil(
        () => receivedBeforeDeath() >= 20,
        'the doomed receiver to take 20 messages',
        40_000,
      );
    } finally {
      doomed.child.kill('SIGKILL');
    }
    expect(await doomed.exited).toBe('SIGKILL');
    expect(doomed.lines.filter((line) => line.startsWith('stored'))).toEqual([]);

    // Restarted with the same client id, the receiver gets everything from the broker's session.
    const ssc = context();
    const { stream } = input(ssc, { topics: topic, qos: 1, clientId });
    const received = collect(stream);
    ssc.start();
    await waitUntil(
      () =>
        missing(
          payloads,
          received.map((m) => m.payload),
        ).length === 0,
      'all 100 messages after the restart',
    );
    expect(new Set(received.map((m) => m.payload)).size).toBe(100);
  });

  it('stores QoS 0 messages as an unreliable receiver with a generated client id', async () => {
    const topic = unique('qos0');
    const ssc = context();
    const { receiver, stream } = input(ssc, { topics: topic, qos: 0 });
    const received = collect(stream);
    ssc.start();
    expect(receiver.capabilities).toEqual({ reliable: false, replayable: false, ordered: true });
    expect(receiver.options.clientId).toMatch(/^dstream-/);

    // A QoS 0 subscription only gets what is published once it is active: probe until it is.
    const client = await publisher();
    await waitUntil(() => receiver.stats.connections > 0, 'the connection');
    for (let attempt = 0; received.length === 0; attempt++) {
      if (attempt > 200) throw new Error('the QoS 0 subscription never became active');
      await client.publishAsync(topic, 'probe', { qos: 0 });
      await sleep(50);
    }
    const payloads = numbered('fire-and-forget', 200);
    await publishAll(client, topic, payloads, 0);
    await waitUntil(
      () =>
        missing(
          payloads,
          received.map((m) => m.payload),
        ).length === 0,
      'the 200 QoS 0 messages',
    );
    expect(received.filter((m) => m.payload !== 'probe').every((m) => m.qos === 0)).toBe(true);
    expect(receiver.stats.acknowledged).toBe(0);
  });

  if (sharedSubscriptions)
    it('splits a shared subscription between two receivers, losing nothing', async () => {
      const topic = unique('shared');
      const shared = `$share/${unique('group')}/${topic}`;
      const first = unique('member-a');
      const second = unique('member-b');
      await createSession(first, [shared]);
      await createSession(second, [shared]);
      const ssc = context();
      const a = input(ssc, { topics: shared, qos: 1, clientId: first });
      const b = input(ssc, { topics: shared, qos: 1, clientId: second });
      const receivedA = collect(a.stream);
      const receivedB = collect(b.stream);
      ssc.start();
      await waitUntil(
        () => a.receiver.stats.connections > 0 && b.receiver.stats.connections > 0,
        'both members to connect',
      );
      const payloads = numbered('shared', 400);
      await publishAll(await publisher(), topic, payloads);
      const all = (): string[] => [...receivedA, ...receivedB].map((m) => m.payload);
      await waitUntil(
        () => missing(payloads, all()).length === 0,
        'all 400 messages across both members',
      );
      expect(receivedA.length).toBeGreaterThan(0);
      expect(receivedB.length).toBeGreaterThan(0);
      expect(receivedA.length + receivedB.length).toBe(400);
    });

  if (restartable)
    it(
      'reconnects and resumes when the broker restarts mid-stream',
      { timeout: 180_000 },
      async () => {
        const topic = unique('restart');
        const clientId = unique('receiver');
        await createSession(clientId, [topic]);
        const ssc = context();
        const { receiver, stream } = input(ssc, {
          topics: topic,
          qos: 1,
          clientId,
          reconnectDelay: 100,
          maxReconnectDelay: 1000,
        });
        const received = collect(stream);
        const errors: string[] = [];
        ssc.addListener({
          onReceiverError: ({ receiverInfo }) =>
            void errors.push(receiverInfo.lastErrorMessage ?? ''),
        });
        ssc.start();

        // A persistent publisher that keeps what it could not send yet and sends it after reconnecting.
        const publisherId = unique('publisher');
        sessions.push(publisherId);
        const client = connect(broker.url, {
          clientId: publisherId,
          clean: false,
          protocolVersion: broker.protocolVersion,
          properties: broker.protocolVersion === 5 ? { sessionExpiryInterval: 3600 } : undefined,
          reconnectPeriod: 200,
        });
        clients.push(client);
        client.on('error', () => undefined);
        const before = numbered('before', 100);
        const after = numbered('after', 100);
        await publishAll(client, topic, before);
        await waitUntil(() => received.length >= 50, 'messages before the restart');

        await broker.restart();
        await publishAll(client, topic, after);

        await waitUntil(
          () =>
            missing(
              [...before, ...after],
              received.map((m) => m.payload),
            ).length === 0,
          'every message after the restart',
          60_000,
        );
        expect(receiver.stats.connections).toBeGreaterThanOrEqual(2);
        expect(errors.some((message) => /connection/i.test(message))).toBe(true);
      },
    );

  it("with ackOn 'processed', redelivers the messages of a batch whose output failed", async () => {
    const topic = unique('processed');
    const clientId = unique('receiver');
    await createSession(clientId, [topic]);
    const failing = context();
    const first = input(failing, { topics: topic, qos: 1, clientId, ackOn: 'processed' });
    let failedBatches = 0;
    first.stream.foreachBatch((batch) => {
      if (batch.count() > 0) {
        failedBatches++;
        throw new Error('the sink is down');
      }
    });
    const termination = failing.awaitTermination();
    termination.catch(() => undefined);
    failing.start();
    const payloads = numbered('processed', 15);
    await publishAll(await publisher(), topic, payloads);
    await waitUntil(
      () => first.receiver.stats.stored >= 15 && failedBatches > 0,
      'the 15 messages to be stored and their batch to fail',
    );
    await expect(termination).rejects.toThrow();
    expect(first.receiver.stats.acknowledged).toBe(0);
    await failing.stop();

    const ssc = context();
    const second = input(ssc, { topics: topic, qos: 1, clientId, ackOn: 'processed' });
    const received = collect(second.stream);
    ssc.start();
    await waitUntil(
      () =>
        missing(
          payloads,
          received.map((m) => m.payload),
        ).length === 0,
      'the 15 messages redelivered',
    );
    await waitUntil(
      () => second.receiver.stats.acknowledged >= 15,
      'their acknowledgement once processed',
    );
  });

  it("with ackOn 'processed', a graceful stop processes the last batches and acknowledges them before disconnecting", async () => {
    const topic = unique('graceful');
    const clientId = unique('receiver');
    await createSession(clientId, [topic]);
    const first = context();
    const { receiver, stream } = input(first, {
      topics: topic,
      qos: 1,
      clientId,
      ackOn: 'processed',
      flushInterval: 50,
    });
    const processed = collect(stream);
    // A slow output: when the stop begins, stored messages still wait for their batch.
    stream.foreachBatch(() => sleep(400));
    first.start();
    const payloads = numbered('graceful', 40);
    await publishAll(await publisher(), topic, payloads);
    await waitUntil(() => receiver.stats.stored >= 40, 'the 40 messages to be stored');
    await first.stop({ graceful: true });
    expect(
      missing(
        payloads,
        processed.map((m) => m.payload),
      ),
    ).toEqual([]);
    expect(receiver.stats.acknowledged).toBe(40);

    // Nothing is left unacknowledged in the session: a new receiver gets nothing.
    const ssc = context();
    const second = input(ssc, { topics: topic, qos: 1, clientId });
    collect(second.stream);
    ssc.start();
    await waitUntil(() => second.receiver.stats.connections > 0, 'the new receiver to connect');
    await sleep(1000);
    expect(second.receiver.stats.received).toBe(0);
  });

  describe('malformed payloads follow onDecodeError', () => {
    const good = ['{"n":1}', '{"n":2}', '{"n":3}'];

    it("'skip' drops them, counted, and still acknowledges them", async () => {
      const topic = unique('skip');
      const clientId = unique('receiver');
      await createSession(clientId, [topic]);
      const ssc = context();
      const { receiver, stream } = input<{ n: number }>(ssc, {
        topics: topic,
        qos: 1,
        clientId,
        decoder: 'json',
        onDecodeError: 'skip',
      });
      const received = collect(stream);
      ssc.start();
      await publishAll(await publisher(), topic, [
        good[0],
        'not json',
        good[1],
        Buffer.from([0xff, 0xfe]),
        good[2],
      ]);
      await waitUntil(
        () => received.length >= 3 && receiver.stats.acknowledged >= 5,
        'three records and five acknowledgements',
      );
      expect(received.map((m) => m.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(receiver.stats.decodeFailures).toEqual({ failed: 0, skipped: 2, deadLettered: 0 });
    });

    it('deadLetter(sink) writes them to the sink, naming their topic', async () => {
      const topic = unique('dead-letter');
      const clientId = unique('receiver');
      await createSession(clientId, [topic]);
      const letters: DeadLetterRecord[] = [];
      const sink: Sink<DeadLetterRecord> = {
        guarantee: 'at-least-once',
        write: (records) => void letters.push(...records),
      };
      const ssc = context();
      const { receiver, stream } = input<{ n: number }>(ssc, {
        topics: topic,
        qos: 1,
        clientId,
        decoder: 'json',
        onDecodeError: deadLetter(sink),
      });
      const received = collect(stream);
      ssc.start();
      await publishAll(await publisher(), topic, [good[0], '{broken', good[1]]);
      await waitUntil(
        () => received.length >= 2 && receiver.stats.acknowledged >= 3,
        'two records and three acknowledgements',
      );
      expect(received.map((m) => m.payload)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(letters).toHaveLength(1);
      expect(letters[0].payload.toString()).toBe('{broken');
      expect(letters[0].source).toContain(topic);
    });

    it("'fail' fails the stream naming the topic and leaves the message with the broker", async () => {
      const topic = unique('fail');
      const clientId = unique('receiver');
      await createSession(clientId, [topic]);
      const failing = context();
      const first = input<{ n: number }>(failing, {
        topics: topic,
        qos: 1,
        clientId,
        decoder: 'json',
      });
      const before = collect(first.stream);
      const termination = failing.awaitTermination();
      termination.catch(() => undefined);
      failing.start();
      await publishAll(await publisher(), topic, [good[0], 'oops', good[1]]);
      const error = await termination.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).source).toContain(topic);
      await waitUntil(() => before.length >= 1, 'the message before the bad one');
      expect(before.map((m) => m.payload)).toEqual([{ n: 1 }]);
      await failing.stop();

      // The bad message and the one after it were not acknowledged: a receiver that skips gets them.
      const ssc = context();
      const second = input<{ n: number }>(ssc, {
        topics: topic,
        qos: 1,
        clientId,
        decoder: 'json',
        onDecodeError: 'skip',
      });
      const after = collect(second.stream);
      ssc.start();
      await waitUntil(() => after.some((m) => m.payload.n === 2), 'the message after the bad one');
      expect(second.receiver.stats.decodeFailures.skipped).toBe(1);
    });
  });

  it('mqttStream creates the stream and closes its client when the context stops', async () => {
    const topic = unique('mqtt-stream');
    const clientId = unique('receiver');
    await createSession(clientId, [topic]);
    const ssc = context();
    const stream = mqttStream(ssc, {
      url: broker.url,
      protocolVersion: broker.protocolVersion,
      topics: topic,
      clientId,
      decoder: (payload) => payload.length,
    });
    const received = collect(stream);
    ssc.start();
    await publishAll(await publisher(), topic, ['a', 'bb', 'ccc']);
    await waitUntil(() => received.length >= 3, 'three messages');
    expect(received.map((m) => m.payload)).toEqual([1, 2, 3]);
    await ssc.stop();
    // The session is free again: another client can take it over without a fight.
    const again = await mqttClient(broker.url, broker.protocolVersion, clientId);
    clients.push(again);
    await sleep(300);
    expect(again.connected).toBe(true);
  });
});
