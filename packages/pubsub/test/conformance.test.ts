import { randomUUID } from 'node:crypto';
import { afterAll, describe } from 'vitest';
import { Message, PubSub, type Subscription, type Topic } from '@google-cloud/pubsub';
import type { ReceiverHarness, SinkHarness } from '@dstream/testkit';
import { describeReceiverConformance, describeSinkConformance } from '@dstream/testkit/vitest';
import { requireBroker, usePubsubEmulator } from '../../../infra/test-support/brokers.mjs';
import { PubsubReceiver, pubsubSink, type PubsubMessage } from '../src/index.js';

// Before any client exists: the emulator's address, and no metadata server to look for.
usePubsubEmulator();
const available = await requireBroker('pubsub', 'pubsub conformance');
const PROJECT = 'dstream-conformance';
const admin = new PubSub({ projectId: PROJECT });

/**
 * The messages acknowledged so far, by the data they carry: a spy on the client library's
 * `Message#ack`, which passes every call on. Pub/Sub does not tell a subscriber which messages
 * it regards as acknowledged; an `ack()` call is what sends that acknowledgement.
 */
const acknowledged: string[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the message as `this`
const ack = Message.prototype.ack;
Message.prototype.ack = function (this: Message): void {
  acknowledged.push(this.data.toString());
  ack.call(this);
};

/**
 * The streaming-pull receiver in the receiver conformance suite. Each case gets a new topic and
 * subscription; the subscription keeps what is published until it is acknowledged, whether a
 * receiver is pulling yet or not, and redelivers what was nacked or never acknowledged.
 */
function receiverHarness(): ReceiverHarness<PubsubMessage<string>> {
  let topic: Topic | undefined;
  let subscription = '';
  return {
    name: 'pubsubStream',
    capabilities: { reliable: true, replayable: true, ordered: false },
    async setup() {
      const name = `dstream-conformance-${randomUUID()}`;
      [topic] = await admin.createTopic(name);
      subscription = `${name}-subscription`;
      await topic.createSubscription(subscription, { ackDeadlineSeconds: 10 });
      acknowledged.length = 0;
    },
    async teardown() {
      await admin
        .subscription(subscription)
        .delete()
        .catch(() => {});
      await topic?.delete().catch(() => {});
      topic = undefined;
    },
    createReceiver: ({ ackOn }) =>
      new PubsubReceiver<string>({
        projectId: PROJECT,
        subscription,
        ackOn,
        // The suite's contexts cut blocks every 50 ms.
        flushInterval: 50,
        // What the receiver may hold beyond the rate: messages count until acknowledged.
        flowControl: { maxMessages: 100 },
      }),
    async publish(ids) {
      await Promise.all(ids.map((id) => topic!.publishMessage({ data: Buffer.from(String(id)) })));
    },
    idOf: (message) => Number(message.data),
    acknowledgedIds: () => acknowledged.map(Number),
    settings: { deliveryTimeout: 30_000 },
  };
}

interface Versioned {
  readonly id: number;
  readonly version: number;
}

/** `pubsubSink` in the sink conformance suite: a reader is a subscription created before the writes. */
function sinkHarness(): SinkHarness<Versioned> {
  let topic: Topic | undefined;
  let reader: Subscription | undefined;
  const received: Versioned[] = [];
  return {
    name: 'pubsubSink',
    guarantee: 'at-least-once',
    async setup() {
      const name = `dstream-conformance-sink-${randomUUID()}`;
      [topic] = await admin.createTopic(name);
      [reader] = await topic.createSubscription(`${name}-reader`);
      received.length = 0;
      reader.on('message', (message: Message) => {
        received.push(JSON.parse(message.data.toString()) as Versioned);
        message.ack();
      });
    },
    async teardown() {
      await reader?.close();
      await reader?.delete().catch(() => {});
      await topic?.delete().catch(() => {});
      reader = undefined;
      topic = undefined;
    },
    createSink: () =>
      pubsubSink<Versioned>({ projectId: PROJECT, topic: topic!.name, encoder: 'json' }),
    record: (id, version) => ({ id, version }),
    idOf: (record) => record.id,
    versionOf: (record) => record.version,
    readVisible: () => [...received],
    // The fake's streaming pull hands a subscriber a few hundred messages at a time.
    settings: { deadLetters: 500, visibilityTimeout: 30_000 },
  };
}

describe.runIf(available)('pubsub', () => {
  afterAll(async () => {
    Message.prototype.ack = ack;
    await admin.close();
  });
  describeReceiverConformance(receiverHarness());
  describeSinkConformance(sinkHarness());
});
