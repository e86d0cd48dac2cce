/**
 * Test helpers that talk to the real broker with the raw client, independently of the code
 * under test: topics, producing, reading back, committed offsets, polling with a deadline.
 */
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { brokerAddresses } from '../../../infra/test-support/brokers.mjs';

export const brokers: string[] = brokerAddresses().kafka;

const kafka = new Kafka({ brokers, clientId: 'dstream-kafka-tests', logLevel: logLevel.NOTHING });
let admin: Admin | undefined;
let producer: Producer | undefined;

async function adminClient(): Promise<Admin> {
  if (admin === undefined) {
    admin = kafka.admin();
    await admin.connect();
  }
  return admin;
}

/** A name no other test uses. */
export function uniqueName(prefix = 'dstream-test'): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a topic with `partitions` partitions; returns its name. */
export async function createTopic(partitions = 1, name = uniqueName()): Promise<string> {
  const client = await adminClient();
  await client.createTopics({
    topics: [{ topic: name, numPartitions: partitions }],
    waitForLeaders: true,
  });
  return name;
}

/** Adds partitions to a topic, up to `count` in total. */
export async function addPartitions(topic: string, count: number): Promise<void> {
  const client = await adminClient();
  await client.createPartitions({ topicPartitions: [{ topic, count }] });
  // The helper producer caches topic metadata: start a fresh one that sees the new partitions.
  await producer?.disconnect();
  producer = undefined;
}

/** A message to produce in a test. */
export interface TestMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: Record<string, string | Buffer>;
}

/** Produces messages (acks from all replicas) and waits until they are written. */
export async function produce(topic: string, messages: TestMessage[]): Promise<void> {
  if (producer === undefined) {
    producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
  }
  const client = producer;
  // Right after partitions are created, their leaders may not be known yet: retry briefly.
  await waitFor(
    () =>
      client.send({ topic, messages, acks: -1 }).then(
        () => true,
        (error: Error) => {
          if (!/leader|does not host|metadata/i.test(error.message)) throw error;
          return false;
        },
      ),
    { timeout: 15_000, interval: 200, message: `producing to ${topic}` },
  );
}

/** Writes each group of values in its own transaction, committed or aborted as asked. */
export async function produceTransactions(
  topic: string,
  transactions: { values: string[]; commit: boolean }[],
): Promise<void> {
  const transactional = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    transactionalId: uniqueName('dstream-test-tx'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await transactional.connect();
  try {
    for (const { values, commit } of transactions) {
      const transaction = await transactional.transaction();
      await transaction.send({ topic, messages: values.map((value) => ({ value, partition: 0 })) });
      if (commit) await transaction.commit();
      else await transaction.abort();
    }
  } finally {
    await transactional.disconnect();
  }
}

/** `count` messages `prefix-0 … prefix-(count-1)`, spread round-robin over `partitions`. */
export function numbered(prefix: string, count: number, partitions = 1, start = 0): TestMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `k${(start + i) % 7}`,
    value: `${prefix}-${start + i}`,
    partition: (start + i) % partitions,
  }));
}

/** High watermark (next offset) per partition. */
export async function latestOffsets(topic: string): Promise<Map<number, bigint>> {
  const client = await adminClient();
  const offsets = await client.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

/** Committed offset per partition of `groupId` (`-1n` when none). */
export async function committedOffsets(
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const client = await adminClient();
  const [entry] = await client.fetchOffsets({ groupId, topics: [topic] });
  return new Map(entry.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

/** Members and state of a consumer group. */
export async function describeGroup(groupId: string): Promise<{ state: string; members: number }> {
  const client = await adminClient();
  const { groups } = await client.describeGroups([groupId]);
  return { state: groups[0].state, members: groups[0].members.length };
}

/** A record read back by {@link readAll}. */
export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/**
 * Reads a whole topic from the beginning with a fresh group, until every partition is read up
 * to its current high watermark (control records included). `readCommitted` decides whether
 * records of aborted transactions are seen.
 */
export async function readAll(
  topic: string,
  readCommitted = true,
  timeout = 30_000,
): Promise<ReadRecord[]> {
  const ends = await latestOffsets(topic);
  const positions = new Map<number, bigint>();
  const records: ReadRecord[] = [];
  const consumer = kafka.consumer({
    groupId: uniqueName('dstream-test-reader'),
    readUncommitted: !readCommitted,
    maxWaitTimeInMs: 100,
  });
  const advance = (partition: number, lastOffset: string): void => {
    const next = BigInt(lastOffset) + 1n;
    if (next > (positions.get(partition) ?? 0n)) positions.set(partition, next);
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) =>
    advance(event.payload.partition, event.payload.lastOffset),
  );
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          records.push({
            partition: batch.partition,
            offset: m.offset,
            key: m.key?.toString() ?? null,
            value: m.value?.toString() ?? null,
          });
        }
        advance(batch.partition, batch.lastOffset());
      },
    });
    await waitFor(
      () => [...ends].every(([partition, end]) => (positions.get(partition) ?? 0n) >= end),
      {
        timeout,
        message: `reading topic ${topic} to its end`,
      },
    );
  } finally {
    await consumer.disconnect();
  }
  return records.sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

/** Polls `condition` until it returns a truthy value; fails after `timeout` ms with `message`. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  {
    timeout = 30_000,
    interval = 50,
    message = 'condition',
  }: { timeout?: number; interval?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeout} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Closes the helpers' clients. */
export async function closeHelpers(): Promise<void> {
  await producer?.disconnect();
  await admin?.disconnect();
  producer = undefined;
  admin = undefined;
}
