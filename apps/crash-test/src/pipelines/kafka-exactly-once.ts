import { randomUUID } from 'node:crypto';
import { StreamingContext } from '@dstream/core';
import { brokerAddresses } from '@dstream/infra/test-support/brokers';
import { kafkaDirectStream, kafkaSink } from '@dstream/kafka';
import { Partitioners } from 'kafkajs';
import { announceRunning } from '../child-signals.js';
import { logBatchProgress } from '../batch-progress-log.js';
import { childLogger } from '../child-logger.js';
import type { CrashPipeline, PipelineOutcome } from '../crash-pipeline.js';
import {
  committedOffsets,
  createTopics,
  crashTestKafka,
  deleteGroups,
  deleteTopics,
  endOffsets,
  readCommittedValues,
} from '../kafka-topics.js';
import { readSettings, writeSettings } from '../workspace-settings.js';

const RECORDS = 3000;
const INPUT_PARTITIONS = 3;
const OUTPUT_PARTITIONS = 2;
/** The input is produced in this many slices, spread over the feeding time. */
const SLICES = 30;

/** What the parent decided for a run; every child reads it from the workspace. */
interface KafkaRunSettings {
  readonly brokers: string[];
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly groupId: string;
  readonly transactionalId: string;
}

/** The value of input record `index`. */
function inputValue(index: number): string {
  return `record-${index}`;
}

/** What the pipeline writes for an input record; {@link inputOf} takes it back. */
interface OutputValue {
  readonly id: string;
  readonly partition: number;
  readonly offset: string;
}

function inputOf(output: string): string {
  return (JSON.parse(output) as OutputValue).id;
}

/**
 * (b) Kafka direct stream → map → transactional Kafka sink: exactly once. The parent produces
 * the input, while the kills happen, into a topic of three partitions; the child reads it with
 * `kafkaDirectStream` (consumer group for committed offsets) and writes every record to an
 * output topic with `kafkaSink({ transactional })`, each batch one transaction that also
 * commits the offsets it consumed. A `read_committed` consumer of the output must see every
 * input record exactly once.
 */
export const kafkaExactlyOnce: CrashPipeline = {
  name: 'kafka',
  description: 'Kafka direct stream → map → transactional Kafka sink',
  guarantee: 'exactly-once',
  brokers: ['kafka'],

  async prepare(workspace) {
    const run = randomUUID().slice(0, 8);
    const settings: KafkaRunSettings = {
      brokers: brokerAddresses().kafka,
      inputTopic: `dstream-crash-${run}-in`,
      outputTopic: `dstream-crash-${run}-out`,
      groupId: `dstream-crash-${run}`,
      transactionalId: `dstream-crash-${run}`,
    };
    await createTopics(crashTestKafka(settings.brokers), [
      { topic: settings.inputTopic, partitions: INPUT_PARTITIONS },
      { topic: settings.outputTopic, partitions: OUTPUT_PARTITIONS },
    ]);
    await writeSettings(workspace, settings);
  },

  async feed(workspace, pace) {
    const settings = readSettings<KafkaRunSettings>(workspace);
    const producer = crashTestKafka(settings.brokers).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: true,
    });
    await producer.connect();
    try {
      const perSlice = RECORDS / SLICES;
      for (let slice = 0; slice < SLICES; slice++) {
        const messages = Array.from({ length: perSlice }, (_, i) => {
          const index = slice * perSlice + i;
          return { value: inputValue(index), partition: index % INPUT_PARTITIONS };
        });
        await producer.send({ topic: settings.inputTopic, messages, acks: -1 });
        await sleep(pace.duration / SLICES);
      }
    } finally {
      await producer.disconnect();
    }
  },

  async isComplete(workspace) {
    // Output and offsets are committed in the same transactions: once the group's offsets
    // reach the end of the input, every input record's output is committed.
    const settings = readSettings<KafkaRunSettings>(workspace);
    const kafka = crashTestKafka(settings.brokers);
    const ends = await endOffsets(kafka, settings.inputTopic);
    const committed = await committedOffsets(kafka, settings.groupId, settings.inputTopic);
    return [...ends].every(([partition, end]) => committed.get(partition) === end);
  },

  async collect(workspace): Promise<PipelineOutcome> {
    const settings = readSettings<KafkaRunSettings>(workspace);
    const kafka = crashTestKafka(settings.brokers);
    const output = (await readCommittedValues(kafka, settings.outputTopic)).map(inputOf);
    const input = Array.from({ length: RECORDS }, (_, i) => inputValue(i));
    const ends = await endOffsets(kafka, settings.inputTopic);
    const committed = await committedOffsets(kafka, settings.groupId, settings.inputTopic);
    const behind = [...ends].filter(([partition, end]) => committed.get(partition) !== end);
    return {
      input,
      output,
      checks: [
        {
          name: 'offsets',
          ok: behind.length === 0,
          detail: behind
            .map(([p, end]) => `partition ${p}: committed ${committed.get(p)}, end ${end}`)
            .join('; '),
        },
      ],
    };
  },

  async cleanup(workspace) {
    const settings = readSettings<KafkaRunSettings>(workspace);
    const kafka = crashTestKafka(settings.brokers);
    await deleteTopics(kafka, [settings.inputTopic, settings.outputTopic]);
    // The group of the committed offsets, and the one the sink records its last batch in.
    await deleteGroups(kafka, [settings.groupId, `${settings.transactionalId}.dstream-batches`]);
  },

  async run(workspace) {
    const settings = readSettings<KafkaRunSettings>(workspace);
    const logger = childLogger();
    // Initializing a producer with the transactional id fences the killed child's producer and
    // finishes its open transaction (aborted, or committed if it was already being committed),
    // so the group's committed offsets read next are final.
    await fenceEarlierProducer(settings);
    const ssc = await StreamingContext.getOrCreate(workspace.checkpointDir, () => {
      const context = new StreamingContext({
        batchInterval: 500,
        checkpointDir: workspace.checkpointDir,
        checkpointInterval: 500,
        stopGracefullyOnShutdown: true,
        logger,
      });
      kafkaDirectStream(context, {
        brokers: settings.brokers,
        clientId: 'dstream-crash-kafka',
        topics: [settings.inputTopic],
        groupId: settings.groupId,
        autoOffsetReset: 'earliest',
        // 240 records a second over the three partitions: the input takes longer to process than
        // to produce, so that kills keep landing while batches are being read and written.
        maxRatePerPartition: 80,
        // A killed child stays a member of the group until its session times out; the next
        // child's reader gets the partitions only then (the broker allows 1 s at least).
        sessionTimeout: 1000,
        heartbeatInterval: 250,
      })
        .map((record): OutputValue => ({
          id: record.value ?? '',
          partition: record.partition,
          offset: record.offset,
        }))
        .to(
          kafkaSink<OutputValue>({
            brokers: settings.brokers,
            clientId: 'dstream-crash-kafka',
            topic: settings.outputTopic,
            value: 'json',
            transactional: {
              transactionalId: settings.transactionalId,
              transactionTimeout: 10_000,
            },
            logger,
          }),
        );
      return context;
    });
    logBatchProgress(ssc, logger);
    ssc.start();
    announceRunning();
    await ssc.awaitTermination();
  },
};

async function fenceEarlierProducer(settings: KafkaRunSettings): Promise<void> {
  const producer = crashTestKafka(settings.brokers).producer({
    transactionalId: settings.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  await producer.disconnect();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
