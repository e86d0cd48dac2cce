import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StreamingContext, type BatchInfo, type Logger } from '@dstream/core';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { kafkaStream, type KafkaRecord } from '../src/index.js';
import {
  brokers,
  closeHelpers,
  committedOffsets,
  createTopic,
  describeGroup,
  latestOffsets,
  numbered,
  produce,
  uniqueName,
  waitFor,
} from './helpers.js';

const available = await requireBroker('kafka', 'kafka receiver stream');

/** The fields of a record a test compares. */
function brief(r: KafkaRecord): { partition: number; offset: bigint; value: string | null } {
  return { partition: r.partition, offset: BigInt(r.offset), value: r.value };
}

describe.skipIf(!available)('kafkaStream (consumer-group receiver)', () => {
  let ssc: StreamingContext | undefined;

  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  afterAll(async () => {
    await closeHelpers();
  });

  function context(logger?: Logger): StreamingContext {
    ssc = new StreamingContext({ batchInterval: 300, blockInterval: 100, logger });
    return ssc;
  }

  it('keeps the order within each partition and describes every block by topic, partition and offset range', async () => {
    const topic = await createTopic(3);
    await produce(topic, numbered('m', 300, 3));
    const groupId = uniqueName('group');
    const ctx = context();
    const stream = kafkaStream(ctx, {
      brokers,
      groupId,
      topics: [topic],
      autoOffsetReset: 'earliest',
    });
    const seen: KafkaRecord[] = [];
    stream.foreachBatch((batch) => {
      seen.push(...batch.collect());
    });
    const blocks: Record<string, unknown>[] = [];
    ctx.addListener({
      onBatchCompleted: ({ batchInfo }: { batchInfo: BatchInfo }) => {
        const info = batchInfo.streamIdToInputInfo.get(stream.id);
        blocks.push(...((info?.metadata.blocks as Record<string, unknown>[] | undefined) ?? []));
      },
    });
    ctx.start();
    await waitFor(() => seen.length >= 300, { message: '300 records' });

    expect(seen).toHaveLength(300);
    for (let p = 0; p < 3; p++) {
      const ofPartition = seen.filter((r) => r.partition === p).map(brief);
      expect(ofPartition.map((r) => r.offset)).toEqual(
        Array.from({ length: 100 }, (_, i) => BigInt(i)),
      );
      expect(ofPartition.map((r) => r.value)).toEqual(
        Array.from({ length: 100 }, (_, i) => `m-${i * 3 + p}`),
      );
    }
    expect(
      seen.every((r) => r.topic === topic && typeof r.timestamp === 'number' && r.key !== null),
    ).toBe(true);

    await waitFor(() => blocks.reduce((n, b) => n + (b.count as number), 0) >= 300, {
      message: 'block metadata',
    });
    for (const block of blocks) {
      expect(block).toMatchObject({
        topic,
        partition: expect.any(Number),
        fromOffset: expect.any(String),
        untilOffset: expect.any(String),
      });
      const records = seen.filter(
        (r) =>
          r.partition === block.partition &&
          BigInt(r.offset) >= BigInt(block.fromOffset as string) &&
          BigInt(r.offset) < BigInt(block.untilOffset as string),
      );
      expect(records).toHaveLength(block.count as number);
      expect(block.numRecords).toBe(block.count);
    }
  });

  it('ackOn "stored": after a restart no record is lost, as the committed offsets prove', async () => {
    const topic = await createTopic(2);
    const groupId = uniqueName('group');
    await produce(topic, numbered('first', 100, 2));

    const firstRun: KafkaRecord[] = [];
    const ctx1 = context();
    kafkaStream(ctx1, {
      brokers,
      groupId,
      topics: [topic],
      ackOn: 'stored',
      autoOffsetReset: 'earliest',
    }).foreachBatch((batch) => {
      firstRun.push(...batch.collect());
    });
    ctx1.start();
    await waitFor(() => firstRun.length >= 100, { message: 'the first 100 records' });
    await ctx1.stop();
    ssc = undefined;

    // Everything the receiver stored was committed before it left the group.
    const committed = await committedOffsets(groupId, topic);
    expect(committed).toEqual(await latestOffsets(topic));
    expect(committed).toEqual(
      new Map([
        [0, 50n],
        [1, 50n],
      ]),
    );

    await produce(topic, numbered('second', 100, 2));
    const secondRun: KafkaRecord[] = [];
    const ctx2 = context();
    kafkaStream(ctx2, { brokers, groupId, topics: [topic], ackOn: 'stored' }).foreachBatch(
      (batch) => {
        secondRun.push(...batch.collect());
      },
    );
    ctx2.start();
    await waitFor(() => secondRun.length >= 100, { message: 'the next 100 records' });

    // The second run starts exactly at the committed offsets: no gap, no overlap.
    for (const partition of [0, 1]) {
      const offsets = secondRun
        .filter((r) => r.partition === partition)
        .map((r) => BigInt(r.offset));
      expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => 50n + BigInt(i)));
    }
    const all = [...firstRun, ...secondRun].map((r) => r.value).sort();
    expect(all).toEqual(
      [...numbered('first', 100), ...numbered('second', 100)].map((m) => m.value).sort(),
    );
    await waitFor(async () => (await committedOffsets(groupId, topic)).get(0) === 100n, {
      message: 'commit of the second run',
    });
  });

  it('ackOn "processed": offsets are never committed past a record whose batch failed', async () => {
    const topic = await createTopic(1);
    const groupId = uniqueName('group');
    const ctx = context();
    let failed = false;
    const processed: string[] = [];
    kafkaStream(ctx, {
      brokers,
      groupId,
      topics: [topic],
      autoOffsetReset: 'earliest',
    }).foreachBatch((batch) => {
      const values = batch.collect().map((r) => r.value as string);
      if (values.includes('poison') && !failed) {
        failed = true;
        throw new Error('output failed');
      }
      processed.push(...values);
    });
    const errors: unknown[] = [];
    ctx.awaitTermination().catch((error: unknown) => errors.push(error));
    ctx.start();
    await produce(topic, [{ value: 'poison' }]);
    await waitFor(() => failed, { message: 'the failing batch' });
    await produce(topic, numbered('after', 20));
    await waitFor(() => processed.length >= 20, { message: 'records after the failure' });
    await ctx.awaitIdle();

    expect(errors).toHaveLength(1);
    // Later batches succeeded, but the commit stays below the record of the failed batch.
    expect((await committedOffsets(groupId, topic)).get(0)).toBe(-1n);
  });

  it('ackOn "processed": a graceful stop commits exactly what the last batches processed', async () => {
    const topic = await createTopic(2);
    const groupId = uniqueName('group');
    await produce(topic, numbered('m', 200, 2));
    const ctx = context();
    const processed: KafkaRecord[] = [];
    let stopping: Promise<void> | undefined;
    kafkaStream(ctx, {
      brokers,
      groupId,
      topics: [topic],
      autoOffsetReset: 'earliest',
    }).foreachBatch(async (batch) => {
      const records = batch.collect();
      if (records.length > 0 && stopping === undefined) {
        // Stop while this batch is being processed: its blocks are acknowledged after the
        // consumer has left the group.
        stopping = ctx.stop({ graceful: true });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      processed.push(...records);
    });
    ctx.start();
    await waitFor(() => stopping !== undefined, { message: 'the first records' });
    await stopping;
    ssc = undefined;

    const committed = await committedOffsets(groupId, topic);
    for (const partition of [0, 1]) {
      const offsets = processed
        .filter((r) => r.partition === partition)
        .map((r) => BigInt(r.offset));
      const next = offsets.length === 0 ? -1n : offsets[offsets.length - 1] + 1n;
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => BigInt(i)));
      expect(committed.get(partition)).toBe(next);
    }
    expect(processed.length).toBeGreaterThan(0);
  });

  it('two members of one group split the partitions and together see every record once the group settles', async () => {
    const topic = await createTopic(4);
    const groupId = uniqueName('group');
    const ctx = context();
    const options = {
      brokers,
      groupId,
      topics: [topic],
      sessionTimeout: 6000,
      heartbeatInterval: 500,
    };
    const byMember: KafkaRecord[][] = [[], []];
    for (const member of [0, 1]) {
      kafkaStream(ctx, options).foreachBatch((batch) => {
        byMember[member].push(...batch.collect());
      });
    }
    ctx.start();
    await waitFor(
      async () => {
        const group = await describeGroup(groupId);
        return group.state === 'Stable' && group.members === 2;
      },
      { message: 'a stable group of two members' },
    );
    // Let both members pass their first fetch after the last rebalance.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    await produce(topic, numbered('m', 400, 4));
    await waitFor(() => byMember[0].length + byMember[1].length >= 400, { message: '400 records' });
    await ctx.awaitIdle();

    const partitionsOf = (records: KafkaRecord[]): number[] =>
      [...new Set(records.map((r) => r.partition))].sort();
    const [first, second] = byMember.map(partitionsOf);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect(first.filter((p) => second.includes(p))).toEqual([]);
    const values = [...byMember[0], ...byMember[1]].map((r) => r.value).sort();
    expect(values).toEqual(
      numbered('m', 400)
        .map((m) => m.value)
        .sort(),
    );
  });

  it('pauses the consumer while the engine is behind and resumes it, losing and reordering nothing', async () => {
    const topic = await createTopic(1);
    await produce(topic, numbered('m', 2000));
    const debug: string[] = [];
    const logger: Logger = {
      debug: (_obj, msg) => {
        if (msg !== undefined) debug.push(msg);
      },
      info: () => {},
      warn: () => {},
      error: () => {},
    };
    const ctx = context(logger);
    const seen: string[] = [];
    kafkaStream(ctx, {
      brokers,
      groupId: uniqueName('group'),
      topics: [topic],
      autoOffsetReset: 'earliest',
      maxBufferedRecords: 100,
      maxRate: 1000,
    }).foreachBatch((batch) => {
      for (const r of batch.collect()) seen.push(r.value as string);
    });
    ctx.start();
    await waitFor(() => seen.length >= 2000, { message: '2000 records' });

    expect(seen).toEqual(numbered('m', 2000).map((m) => m.value));
    expect(debug.some((m) => m.startsWith('Kafka receiver paused'))).toBe(true);
    expect(debug.some((m) => m.startsWith('Kafka receiver resumed'))).toBe(true);
  });
});
