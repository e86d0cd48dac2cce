import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { brokerAddresses, requireBroker } from '../test-support/brokers.mjs';
import { deferred, uniqueName } from './helpers.mjs';

const runKafka = await requireBroker('kafka', 'infra kafka smoke tests');

/** Consumes `topic` from the beginning in a fresh group until `done(values)` is true. */
async function consumeUntil(kafka, topic, done, { timeoutMs = 30_000 } = {}) {
  const consumer = kafka.consumer({ groupId: uniqueName('infra-smoke-group') });
  const values = [];
  const finished = deferred(timeoutMs, `consumer of ${topic} did not get what it waited for`);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value.toString());
        if (done(values)) finished.resolve();
      },
    });
    await finished.promise;
    return values;
  } finally {
    await consumer.disconnect();
  }
}

describe.runIf(runKafka)('kafka (KRaft, infra/brokers.sh)', () => {
  let kafka;
  let admin;

  beforeAll(async () => {
    kafka = new Kafka({
      clientId: 'dstream-infra-smoke',
      brokers: brokerAddresses().kafka,
      // Retriable broker answers (coordinator loading, concurrent transactions) are logged by
      // kafkajs as errors; real failures reject the calls below.
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('produces to and consumes from a fresh topic', async () => {
    const topic = uniqueName('infra-smoke');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => `message-${i}`);
    await producer.send({
      topic,
      acks: -1,
      messages: sent.map((value, i) => ({ key: `key-${i % 4}`, value })),
    });
    await producer.disconnect();

    const received = await consumeUntil(kafka, topic, (values) => values.length >= sent.length);
    expect(received.sort()).toEqual([...sent].sort());

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(20);
  });

  it('creates topics on first use (auto.create.topics.enable)', async () => {
    const topic = uniqueName('infra-smoke-auto');
    const producer = kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'auto' }] });
    await producer.disconnect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(1);
  });

  it('commits and aborts transactions; read_committed consumers see only committed records', async () => {
    const topic = uniqueName('infra-smoke-tx');
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    const producer = kafka.producer({
      transactionalId: uniqueName('infra-smoke-tx-id'),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      await committed.send({
        topic,
        messages: [{ value: 'committed-1' }, { value: 'committed-2' }],
      });
      await committed.commit();

      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ value: 'aborted' }] });
      await aborted.abort();

      const last = await producer.transaction();
      await last.send({ topic, messages: [{ value: 'committed-3' }] });
      await last.commit();
    } finally {
      await producer.disconnect();
    }

    // kafkajs consumers read with isolation level read_committed unless told otherwise.
    const received = await consumeUntil(kafka, topic, (values) => values.includes('committed-3'));
    expect(received).toEqual(['committed-1', 'committed-2', 'committed-3']);
  });
});
