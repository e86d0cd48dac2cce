import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { waitFor, type ReceiverHarness, type SinkHarness } from '@dstream/testkit';
import { describeReceiverConformance, describeSinkConformance } from '@dstream/testkit/vitest';
import { brokerAddresses, requireBroker } from '../../../infra/test-support/brokers.mjs';
import { createKafkaReceiver, kafkaSink, type KafkaRecord } from '../src/index.js';

const available = await requireBroker('kafka', 'kafka conformance');
const brokers = brokerAddresses().kafka;
const kafka = new Kafka({ clientId: 'dstream-conformance', brokers, logLevel: logLevel.NOTHING });

/** Messages per produce request: each request is one record batch, which a fetch returns whole. */
const PRODUCE_CHUNK = 50;

/**
 * The consumer-group receiver in the receiver conformance suite. Each case gets a new topic
 * with one partition and a new group; the harness remembers the offset each id was written at,
 * so that the group's committed offset says which ids the receiver acknowledged.
 */
function kafkaReceiverHarness(): ReceiverHarness<KafkaRecord> {
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let topic = '';
  let groupId = '';
  const idAtOffset = new Map<number, number>();

  async function members(): Promise<{ state: string; assigned: number }> {
    const { groups } = await admin!.describeGroups([groupId]);
    const group = groups[0];
    return {
      state: group?.state ?? 'Dead',
      assigned: group?.members.filter((member) => member.memberAssignment.length > 0).length ?? 0,
    };
  }

  return {
    name: 'kafkaStream',
    capabilities: { reliable: true, replayable: true, ordered: true },
    async setup() {
      topic = `dstream-conformance-${randomUUID()}`;
      groupId = `${topic}-group`;
      idAtOffset.clear();
      admin = kafka.admin();
      producer = kafka.producer({ allowAutoTopicCreation: false });
      await admin.connect();
      await producer.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    },
    async teardown() {
      await producer?.disconnect();
      await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin?.disconnect();
      producer = undefined;
      admin = undefined;
    },
    createReceiver: ({ ackOn }) =>
      createKafkaReceiver({
        brokers,
        groupId,
        topics: [topic],
        ackOn,
        autoOffsetReset: 'earliest',
        // The suite's contexts cut blocks every 50 ms.
        blockInterval: 50,
        maxWaitTime: 100,
        clientLogLevel: 'nothing',
        // What the receiver takes beyond the rate when it pauses: its buffer and one fetch.
        maxBufferedRecords: 100,
        maxBytesPerPartition: 1024,
      }),
    // Subscribed and assigned the partition: what is published from now on is fetched.
    whenReady: () =>
      waitFor(
        async () => {
          const group = await members();
          return group.state === 'Stable' && group.assigned === 1;
        },
        { timeout: 30_000, interval: 50, message: `group ${groupId} to assign the partition` },
      ),
    async publish(ids) {
      for (let start = 0; start < ids.length; start += PRODUCE_CHUNK) {
        const chunk = ids.slice(start, start + PRODUCE_CHUNK);
        const [written] = await producer!.send({
          topic,
          acks: -1,
          messages: chunk.map((id) => ({ value: String(id) })),
        });
        const base = Number(written.baseOffset);
        chunk.forEach((id, index) => idAtOffset.set(base + index, id));
      }
    },
    idOf: (record) => Number(record.value),
    async acknowledgedIds() {
      const [entry] = await admin!.fetchOffsets({ groupId, topics: [topic] });
      const committed = Number(entry?.partitions[0]?.offset ?? -1);
      return [...idAtOffset].filter(([offset]) => offset < committed).map(([, id]) => id);
    },
    async assertReleased() {
      try {
        await waitFor(async () => (await members()).assigned === 0, {
          timeout: 5000,
          interval: 50,
        });
      } catch {
        assert.fail(`the receiver is still a member of group ${groupId} after onStop`);
      }
    },
    settings: {
      deliveryTimeout: 30_000,
      // maxBufferedRecords (100) plus a fetch (a record batch of up to 50), with room to spare.
      backpressure: { allowance: 600 },
    },
  };
}

interface Versioned {
  readonly id: number;
  readonly version: number;
}

/**
 * A `read_committed` reader of a whole topic, from its beginning, as a downstream consumer sees
 * it: records of aborted transactions are never delivered, records of open ones not yet.
 */
class TopicReader {
  readonly records: Versioned[] = [];
  private consumer: Consumer | undefined;

  async start(topic: string): Promise<void> {
    const consumer = kafka.consumer({
      groupId: `${topic}-reader`,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        this.records.push(JSON.parse(message.value!.toString()) as Versioned);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

/** `kafkaSink` in the sink conformance suite, writing to a new topic with three partitions. */
function kafkaSinkHarness(mode: 'plain' | 'transactional'): SinkHarness<Versioned> {
  let admin: Admin | undefined;
  let reader: TopicReader | undefined;
  let topic = '';
  return {
    name: mode === 'plain' ? 'kafkaSink' : 'kafkaSink (transactional)',
    guarantee: mode === 'plain' ? 'at-least-once' : 'transactional',
    async setup() {
      topic = `dstream-conformance-sink-${randomUUID()}`;
      admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      reader = new TopicReader();
      await reader.start(topic);
    },
    async teardown() {
      await reader?.stop();
      await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin?.disconnect();
      reader = undefined;
      admin = undefined;
    },
    createSink: () =>
      kafkaSink<Versioned>({
        brokers,
        topic,
        key: (record) => String(record.id),
        value: 'json',
        clientLogLevel: 'nothing',
        // The same transactional id in every sink of a case: a new sink is the same
        // application instance restarted, and fences the one before.
        ...(mode === 'transactional' ? { transactional: { transactionalId: `${topic}-tx` } } : {}),
      }),
    record: (id, version) => ({ id, version }),
    idOf: (record) => record.id,
    versionOf: (record) => record.version,
    readVisible: () => [...reader!.records],
    settings: { visibilityTimeout: 20_000 },
  };
}

describe.runIf(available)('kafka', () => {
  describeReceiverConformance(kafkaReceiverHarness());
  describeSinkConformance(kafkaSinkHarness('plain'));
  describeSinkConformance(kafkaSinkHarness('transactional'));
});
