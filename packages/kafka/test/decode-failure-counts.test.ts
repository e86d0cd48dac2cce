import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StreamingContext, silentLogger, type BatchInfo, type DStream } from '@dstream/core';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { kafkaDirectStream, kafkaStream, type KafkaRecord } from '../src/index.js';
import { brokers, closeHelpers, createTopic, produce, uniqueName, waitFor } from './helpers.js';

const available = await requireBroker('kafka', 'kafka decode-failure counts');

describe.skipIf(!available)('Kafka streams count undecodable records in BatchInfo', () => {
  let ssc: StreamingContext | undefined;

  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  afterAll(async () => {
    await closeHelpers();
  });

  /** Runs `create`'s stream and sums its inputs' decode failures until `records` arrived. */
  async function countFailures(
    create: (ctx: StreamingContext, topic: string) => DStream<KafkaRecord<string, number>>,
    records: number,
  ): Promise<{ skipped: number; deadLettered: number; values: (number | null)[] }> {
    const topic = await createTopic(1);
    await produce(topic, [{ value: '1' }, { value: '{' }, { value: '3' }, { value: 'x' }]);
    const ctx = new StreamingContext({
      batchInterval: 300,
      blockInterval: 100,
      logger: silentLogger,
    });
    ssc = ctx;
    const stream = create(ctx, topic);
    const values: (number | null)[] = [];
    stream.foreachBatch((batch) => {
      for (const record of batch.collect()) values.push(record.value);
    });
    const totals = { skipped: 0, deadLettered: 0 };
    ctx.addListener({
      onBatchCompleted: ({ batchInfo }: { batchInfo: BatchInfo }) => {
        const failures = batchInfo.streamIdToInputInfo.get(stream.id)?.decodeFailures;
        totals.skipped += failures?.skipped ?? 0;
        totals.deadLettered += failures?.deadLettered ?? 0;
      },
    });
    ctx.start();
    await waitFor(() => values.length >= records && totals.skipped >= 2, {
      message: 'the decodable records and the count of the others',
    });
    return { ...totals, values };
  }

  it('direct stream', async () => {
    const result = await countFailures(
      (ctx, topic) =>
        kafkaDirectStream<string, number>(ctx, {
          brokers,
          topics: [topic],
          startingOffsets: 'earliest',
          valueDecoder: 'json',
          onDecodeError: 'skip',
        }),
      2,
    );
    expect(result).toEqual({ skipped: 2, deadLettered: 0, values: [1, 3] });
  });

  it('receiver stream', async () => {
    const result = await countFailures(
      (ctx, topic) =>
        kafkaStream<string, number>(ctx, {
          brokers,
          groupId: uniqueName('group'),
          topics: [topic],
          autoOffsetReset: 'earliest',
          valueDecoder: 'json',
          onDecodeError: 'skip',
        }),
      2,
    );
    expect(result).toEqual({ skipped: 2, deadLettered: 0, values: [1, 3] });
  });
});
