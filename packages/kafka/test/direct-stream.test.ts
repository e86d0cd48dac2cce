import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '@dstream/core';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import {
  kafkaDirectStream,
  offsetRangesOf,
  type KafkaDirectStream,
  type KafkaRecord,
  type OffsetRange,
} from '../src/index.js';
import {
  addPartitions,
  brokers,
  closeHelpers,
  committedOffsets,
  createTopic,
  latestOffsets,
  numbered,
  produce,
  produceTransactions,
  uniqueName,
  waitFor,
} from './helpers.js';

const available = await requireBroker('kafka', 'kafka direct stream');

/** One batch as a test sees it: its time, its partitions' records and its ranges. */
interface SeenBatch {
  time: number;
  partitions: KafkaRecord[][];
  ranges: readonly OffsetRange[];
  rangesFromInputInfo: readonly OffsetRange[] | undefined;
}

describe.skipIf(!available)('kafkaDirectStream', () => {
  let ssc: StreamingContext | undefined;

  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  afterAll(async () => {
    await closeHelpers();
  });

  function context(batchInterval = 300): StreamingContext {
    ssc = new StreamingContext({ batchInterval });
    return ssc;
  }

  function collect(ctx: StreamingContext, stream: KafkaDirectStream): SeenBatch[] {
    const seen: SeenBatch[] = [];
    stream.foreachBatch((batch, time) => {
      seen.push({
        time,
        partitions: batch.partitions.map((p) => [...p]),
        ranges: stream.offsetRangesAt(time) ?? [],
        rangesFromInputInfo: offsetRangesOf(ctx.inputInfoOf(time).get(stream.id)),
      });
    });
    return seen;
  }

  const records = (seen: SeenBatch[]): KafkaRecord[] => seen.flatMap((b) => b.partitions.flat());

  it('holds exactly the offsets of its ranges in every batch, each range bounded by maxRatePerPartition', async () => {
    const topic = await createTopic(3);
    await produce(topic, numbered('m', 300, 3));
    const ctx = context(500);
    const stream = kafkaDirectStream(ctx, {
      brokers,
      topics: [topic],
      startingOffsets: 'earliest',
      maxRatePerPartition: 50,
      // Reads at most 20 records ahead per partition: the reader pauses and resumes.
      maxBufferedRecordsPerPartition: 20,
    });
    const seen = collect(ctx, stream);
    ctx.start();
    await waitFor(() => records(seen).length >= 300, { message: '300 records' });
    await ctx.awaitIdle();

    const next = new Map<number, bigint>([
      [0, 0n],
      [1, 0n],
      [2, 0n],
    ]);
    for (const batch of seen) {
      expect(batch.rangesFromInputInfo).toEqual(batch.ranges);
      expect(batch.ranges.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
      batch.ranges.forEach((range, i) => {
        const from = BigInt(range.fromOffset);
        const until = BigInt(range.untilOffset);
        expect(range.topic).toBe(topic);
        expect(from).toBe(next.get(range.partition));
        expect(until - from).toBeLessThanOrEqual(25n);
        // The batch partition at the range's index holds exactly the range's offsets.
        const offsets = batch.partitions[i].map((r) => BigInt(r.offset));
        expect(offsets).toEqual(
          Array.from({ length: Number(until - from) }, (_, k) => from + BigInt(k)),
        );
        expect(batch.partitions[i].every((r) => r.partition === range.partition)).toBe(true);
        next.set(range.partition, until);
      });
    }
    expect(next).toEqual(
      new Map([
        [0, 100n],
        [1, 100n],
        [2, 100n],
      ]),
    );
    expect(seen.filter((b) => b.partitions.flat().length > 0).length).toBeGreaterThanOrEqual(4);
    expect(
      records(seen)
        .map((r) => r.value)
        .sort(),
    ).toEqual(
      numbered('m', 300)
        .map((m) => m.value)
        .sort(),
    );
  });

  it('continues with no gap and no overlap in a new context started from the recorded offsets', async () => {
    const topic = await createTopic(2);
    await produce(topic, numbered('m', 200, 2));

    const ctx1 = context();
    const first = kafkaDirectStream(ctx1, {
      brokers,
      topics: [topic],
      startingOffsets: 'earliest',
      maxRatePerPartition: 100,
    });
    const seen1 = collect(ctx1, first);
    ctx1.start();
    await waitFor(() => records(seen1).length >= 60, { message: 'some records' });
    await ctx1.stop();
    ssc = undefined;

    // The ranges of the processed batches say where to continue.
    const recorded: Record<string, Record<number, string>> = { [topic]: {} };
    for (const batch of seen1)
      for (const r of batch.ranges) recorded[topic][r.partition] = r.untilOffset;
    expect(Object.keys(recorded[topic])).toEqual(['0', '1']);

    const ctx2 = context();
    const second = kafkaDirectStream(ctx2, { brokers, topics: [topic], startingOffsets: recorded });
    const seen2 = collect(ctx2, second);
    ctx2.start();
    const firstCount = records(seen1).length;
    await waitFor(() => records(seen2).length >= 200 - firstCount, {
      message: 'the remaining records',
    });
    await ctx2.awaitIdle();

    for (const partition of [0, 1]) {
      const firstRange = seen2
        .map((b) => b.ranges.find((r) => r.partition === partition))
        .find((r) => r !== undefined);
      expect(firstRange?.fromOffset).toBe(recorded[topic][partition]);
    }
    const all = [...records(seen1), ...records(seen2)];
    expect(all).toHaveLength(200);
    expect(all.map((r) => r.value).sort()).toEqual(
      numbered('m', 200)
        .map((m) => m.value)
        .sort(),
    );
  });

  it('commits each batch to its group after the outputs completed, and a new context starts from the commits', async () => {
    const topic = await createTopic(2);
    const groupId = uniqueName('group');
    await produce(topic, numbered('a', 60, 2));

    const ctx1 = context();
    const seen1 = collect(
      ctx1,
      kafkaDirectStream(ctx1, { brokers, topics: [topic], groupId, autoOffsetReset: 'earliest' }),
    );
    ctx1.start();
    await waitFor(() => records(seen1).length >= 60, { message: '60 records' });
    await waitFor(
      async () =>
        (await committedOffsets(groupId, topic)).get(0) === 30n &&
        (await committedOffsets(groupId, topic)).get(1) === 30n,
      {
        message: 'the commits',
      },
    );
    await ctx1.stop();
    ssc = undefined;

    await produce(topic, numbered('b', 40, 2));
    const ctx2 = context();
    const seen2 = collect(ctx2, kafkaDirectStream(ctx2, { brokers, topics: [topic], groupId }));
    ctx2.start();
    await waitFor(() => records(seen2).length >= 40, { message: '40 more records' });
    await ctx2.awaitIdle();
    expect(
      records(seen2)
        .map((r) => r.value)
        .sort(),
    ).toEqual(
      numbered('b', 40)
        .map((m) => m.value)
        .sort(),
    );
    await waitFor(async () => (await committedOffsets(groupId, topic)).get(1) === 50n, {
      message: 'the second commits',
    });
  });

  it('stops committing at a failed batch, so that its records can be processed again', async () => {
    const topic = await createTopic(1);
    const groupId = uniqueName('group');
    const ctx = context();
    const stream = kafkaDirectStream(ctx, { brokers, topics: [topic], groupId });
    let failedAt: OffsetRange | undefined;
    const later: string[] = [];
    stream.foreachBatch((batch, time) => {
      const values = batch.collect().map((r) => r.value as string);
      if (values.includes('poison') && failedAt === undefined) {
        failedAt = stream.offsetRangesAt(time)?.[0];
        throw new Error('output failed');
      }
      if (failedAt !== undefined) later.push(...values);
    });
    ctx.awaitTermination().catch(() => {});
    ctx.start();
    await waitFor(() => stream.offsetRangesAt(ctx.zeroTime! + ctx.batchInterval) !== undefined, {
      message: 'the first batch',
    });
    await produce(topic, [{ value: 'ok-0' }, { value: 'poison' }]);
    await waitFor(() => failedAt !== undefined, { message: 'the failing batch' });
    await produce(topic, numbered('after', 10));
    await waitFor(() => later.length >= 10, { message: 'batches after the failure' });
    await ctx.awaitIdle();
    // Later batches succeeded, but the commit stays at the start of the failed batch.
    expect(failedAt?.fromOffset).toBe('0');
    expect((await committedOffsets(groupId, topic)).get(0)).toBe(0n);
  });

  it('starts at the latest offsets when asked, skipping what is already there', async () => {
    const topic = await createTopic(1);
    await produce(topic, numbered('old', 10));
    const ctx = context();
    const stream = kafkaDirectStream(ctx, { brokers, topics: [topic], startingOffsets: 'latest' });
    const seen = collect(ctx, stream);
    ctx.start();
    await waitFor(() => seen.length > 0, { message: 'the first batch' });
    expect(seen[0].ranges).toEqual([{ topic, partition: 0, fromOffset: '10', untilOffset: '10' }]);
    await produce(topic, numbered('new', 5));
    await waitFor(() => records(seen).length >= 5, { message: 'new records' });
    expect(records(seen).map((r) => r.value)).toEqual(numbered('new', 5).map((m) => m.value));
  });

  it('picks up partitions added to a topic while it runs', async () => {
    const topic = await createTopic(1);
    const ctx = context();
    const stream = kafkaDirectStream(ctx, {
      brokers,
      topics: [topic],
      startingOffsets: 'earliest',
      metadataMaxAge: 300,
    });
    const seen = collect(ctx, stream);
    ctx.start();
    await produce(topic, [{ value: 'p0', partition: 0 }]);
    await waitFor(() => records(seen).length >= 1, { message: 'the first record' });

    await addPartitions(topic, 3);
    await waitFor(async () => (await latestOffsets(topic).catch(() => new Map())).size === 3, {
      message: 'three partitions with leaders',
    });
    await produce(topic, [
      { value: 'p1', partition: 1 },
      { value: 'p2', partition: 2 },
    ]);
    await waitFor(() => records(seen).length >= 3, { message: 'records of the new partitions' });
    expect(
      records(seen)
        .map((r) => `${r.partition}:${r.value}`)
        .sort(),
    ).toEqual(['0:p0', '1:p1', '2:p2']);
    const last = seen[seen.length - 1].ranges;
    expect(last.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
  });

  it('ranges are by offset: commit markers and aborted records take offsets but are not records', async () => {
    const topic = await createTopic(1);
    await produceTransactions(topic, [
      { values: ['a', 'b', 'c'], commit: true },
      { values: ['x', 'y'], commit: false },
      { values: ['d', 'e'], commit: true },
    ]);
    // 3 records + marker, 2 aborted records + marker, 2 records + marker; the coordinator
    // writes markers after the transaction ends.
    await waitFor(async () => (await latestOffsets(topic)).get(0) === 10n, {
      message: 'all markers',
    });
    const ctx = context();
    const stream = kafkaDirectStream(ctx, {
      brokers,
      topics: [topic],
      startingOffsets: 'earliest',
    });
    const seen = collect(ctx, stream);
    ctx.start();
    await waitFor(() => seen.some((b) => b.ranges.some((r) => r.untilOffset === '10')), {
      message: 'a range up to the end',
    });
    await ctx.awaitIdle();
    expect(records(seen).map((r) => `${r.offset}:${r.value}`)).toEqual([
      '0:a',
      '1:b',
      '2:c',
      '7:d',
      '8:e',
    ]);
    const covered = seen.flatMap((b) => b.ranges).filter((r) => r.fromOffset !== r.untilOffset);
    expect(covered.map((r) => [r.fromOffset, r.untilOffset])).toEqual([['0', '10']]);
  });

  it('reads again exactly the ranges of a snapshot taken before a failure', async () => {
    const topic = await createTopic(1);
    await produce(topic, numbered('m', 10));
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchInterval: 1000, clock });
    const ctx = ssc;
    const stream = kafkaDirectStream(ctx, { brokers, topics: [topic] });
    stream.restore({
      positions: { [topic]: { 0: '6' } },
      batches: [
        { time: 1000, offsetRanges: [{ topic, partition: 0, fromOffset: '0', untilOffset: '3' }] },
        { time: 2000, offsetRanges: [{ topic, partition: 0, fromOffset: '3', untilOffset: '6' }] },
      ],
    });
    const seen = collect(ctx, stream);
    ctx.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await ctx.awaitIdle();
    }
    expect(seen.map((b) => [b.time, b.partitions.flat().map((r) => r.value)])).toEqual([
      [1000, ['m-0', 'm-1', 'm-2']],
      [2000, ['m-3', 'm-4', 'm-5']],
      [3000, ['m-6', 'm-7', 'm-8', 'm-9']],
    ]);
    expect(stream.snapshot()).toEqual({ positions: { [topic]: { 0: '10' } }, batches: [] });
  });
});
