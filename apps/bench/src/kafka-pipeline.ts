import { StreamingContext } from '@dstream/core';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
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
import { generateLines } from './word-count-throughput.js';

const TITLE = 'Kafka to engine to Kafka vs a plain kafkajs consume-and-produce loop';
const PARTITIONS = 4;
const BATCH_INTERVAL = 1000;
/** Per partition per second: bounds a batch of the backlog to 4 × 50 000 records. */
const MAX_RATE_PER_PARTITION = 50_000;
const PRODUCE_CHUNK = 10_000;

/** The transformation both pipelines apply to each message value. */
function transform(value: string): string {
  return value.toUpperCase();
}

/** Fills `topic` with `count` messages: keys `user<n>`, values lines of ten words. */
async function fillTopic(producer: Producer, topic: string, count: number): Promise<void> {
  const lines = generateLines(4096);
  for (let start = 0; start < count; start += PRODUCE_CHUNK) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + PRODUCE_CHUNK); i++) {
      messages.push({ key: `user${i % 1000}`, value: lines[i & 4095] });
    }
    await producer.send({ topic, acks: -1, messages });
  }
}

/** Messages in `topic`: the sum of its partitions' high watermarks (topics start at offset 0). */
async function messagesIn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

/**
 * The plain client: a consumer group member whose `eachBatch` transforms the batch's messages
 * and sends them with an idempotent producer (acks from all replicas), as the sink does;
 * `concurrency` partitions are processed at once (kafkajs' `partitionsConsumedConcurrently`).
 * Returns the seconds from connecting until every message was written.
 */
async function rawLoop(
  kafka: Kafka,
  input: string,
  output: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('dstream-bench-raw') });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  let written = 0;
  const started = performance.now();
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [input], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: concurrency,
      eachBatch: async ({ batch }) => {
        const messages = batch.messages.map((message) => ({
          key: message.key,
          value: transform(message.value?.toString() ?? ''),
        }));
        await producer.send({ topic: output, acks: -1, messages });
        written += messages.length;
      },
    });
    await waitUntil(
      () => written >= count,
      600_000,
      `the plain loop to write ${count} messages`,
      2,
    );
    return (performance.now() - started) / 1000;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/**
 * The engine: a direct stream from `input`, the same transformation, a Kafka sink to `output`
 * (its defaults: idempotent producer, acks from all replicas), offsets committed to a group
 * after each batch. Returns the seconds from `start()` until every batch holding the messages
 * completed, i.e. every message was written.
 */
async function enginePipeline(
  connector: typeof import('@dstream/kafka'),
  brokers: string[],
  input: string,
  output: string,
  count: number,
): Promise<number> {
  const ssc = new StreamingContext({ batchInterval: BATCH_INTERVAL });
  connector
    .kafkaDirectStream(ssc, {
      brokers,
      topics: [input],
      groupId: uniqueName('dstream-bench-engine'),
      startingOffsets: 'earliest',
      maxRatePerPartition: MAX_RATE_PER_PARTITION,
    })
    .map((record) => ({ key: record.key, value: transform(record.value ?? '') }))
    .to(
      connector.kafkaSink<{ key: string | null; value: string }>({
        brokers,
        topic: output,
        key: (record) => record.key,
        value: (record) => record.value,
      }),
    );
  let processed = 0;
  ssc.addListener({ onBatchCompleted: ({ batchInfo }) => (processed += batchInfo.numRecords) });
  let failure: unknown;
  ssc.awaitTermination().catch((error: unknown) => (failure = error));
  const started = performance.now();
  ssc.start();
  try {
    await waitUntil(
      () => processed >= count || failure !== undefined,
      600_000,
      `the engine to write ${count} messages`,
      2,
    );
    if (failure !== undefined) throw asError(failure);
    return (performance.now() - started) / 1000;
  } finally {
    await ssc.stop();
  }
}

/** Benchmark 3a: Kafka → engine → Kafka vs a plain kafkajs loop, same broker, topic and messages. */
export const kafkaPipeline: Benchmark = {
  name: 'kafka',
  description: 'Kafka → engine → Kafka vs a plain kafkajs consume-and-produce loop',
  async run({ quick }): Promise<BenchmarkResult> {
    const unavailable = await brokerUnavailable('kafka');
    if (unavailable !== undefined) return skippedResult(this, TITLE, unavailable);
    const loaded = await loadConnector('@dstream/kafka', () => import('@dstream/kafka'));
    if ('problem' in loaded) return skippedResult(this, TITLE, loaded.problem);
    const brokers = addressOf('kafka').split(',');
    const count = quick ? 50_000 : 300_000;
    const repetitions = quick ? 1 : 3;
    const kafka = new Kafka({ brokers, clientId: 'dstream-bench', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await admin.connect();
    await producer.connect();
    const topics: string[] = [];
    const createTopic = async (prefix: string): Promise<string> => {
      const topic = uniqueName(prefix);
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS }],
        waitForLeaders: true,
      });
      topics.push(topic);
      return topic;
    };
    try {
      const input = await createTopic('dstream-bench-input');
      await fillTopic(producer, input, count);
      const raw: number[] = [];
      const rawConcurrent: number[] = [];
      const engine: number[] = [];
      // Take turns, so that all three see the same broker and machine conditions.
      for (let repetition = 0; repetition < repetitions; repetition++) {
        const outputs: string[] = [];
        for (const [rates, concurrency] of [
          [raw, 1],
          [rawConcurrent, PARTITIONS],
        ] as const) {
          const output = await createTopic('dstream-bench-raw-output');
          outputs.push(output);
          rates.push(count / (await rawLoop(kafka, input, output, count, concurrency)));
        }
        const engineOutput = await createTopic('dstream-bench-engine-output');
        outputs.push(engineOutput);
        engine.push(
          count / (await enginePipeline(loaded.module, brokers, input, engineOutput, count)),
        );
        for (const topic of outputs) {
          const written = await messagesIn(admin, topic);
          if (written < count)
            throw new Error(`${topic} holds ${written} messages, expected ${count}`);
        }
      }
      const bestRaw = Math.max(median(raw), median(rawConcurrent));
      const ratio = median(engine) / bestRaw;
      const row = (pipeline: string, rates: number[]): ResultRow => ({
        pipeline,
        'records/s (median)': Math.round(median(rates)),
        'runs (records/s)': rates.map((rate) => Math.round(rate)).join(', '),
        'vs faster plain loop': round(median(rates) / bestRaw, 2),
      });
      return {
        name: this.name,
        title: TITLE,
        rows: [
          row('plain kafkajs: eachBatch → transform → producer.send', raw),
          row(`plain kafkajs, ${PARTITIONS} partitions at once`, rawConcurrent),
          row('engine: kafkaDirectStream → map → kafkaSink', engine),
        ],
        goals: [
          {
            description: `Kafka pipeline at least 70% of the raw client, the faster plain loop (${round(ratio * 100)}%)`,
            met: ratio >= 0.7,
          },
        ],
        notes: [
          `${count} messages (keys user0…user999, values lines of ten words, ~60 bytes) in a topic of ${PARTITIONS} partitions on ${brokers.join(',')}; both pipelines read all of them from the beginning with a new consumer group, upper-case each value and write it to a new topic with an idempotent producer and acks from all replicas. Median of ${repetitions} runs taking turns.`,
          `Time from connecting (plain client) or start() (engine) until every message was written, so both include joining the group. Engine: batch interval ${BATCH_INTERVAL} ms, maxRatePerPartition ${MAX_RATE_PER_PARTITION}, offsets committed after each batch; plain loops: kafkajs defaults (offsets committed by the consumer), one partition at a time or all at once.`,
        ],
      };
    } finally {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await producer.disconnect();
      await admin.disconnect();
    }
  },
};
