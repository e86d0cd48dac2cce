import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '@dstream/core';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { kafkaSink } from '../src/index.js';
import {
  brokers,
  closeHelpers,
  committedOffsets,
  createTopic,
  readAll,
  uniqueName,
  waitFor,
} from './helpers.js';

const available = await requireBroker('kafka', 'kafka sink');

interface Order {
  id: string;
  total: number;
}

describe.skipIf(!available)('kafkaSink', () => {
  let ssc: StreamingContext | undefined;

  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  afterAll(async () => {
    await closeHelpers();
  });

  it('writes keys, values and headers serialized as asked, in batched sends', async () => {
    const topic = await createTopic(3);
    ssc = new StreamingContext({ batchInterval: 200 });
    const orders: Order[] = Array.from({ length: 2500 }, (_, i) => ({
      id: `order-${i}`,
      total: i,
    }));
    ssc.queueStream([orders.slice(0, 1200), orders.slice(1200)]).to(
      kafkaSink<Order>({
        brokers,
        topic,
        key: (o) => o.id,
        value: 'json',
        headers: (o) => ({ source: 'test', total: o.total, tags: ['a', Buffer.from('b')] }),
        batchSize: 500,
      }),
    );
    ssc.start();
    await waitFor(async () => (await readAll(topic)).length >= 2500, {
      message: '2500 messages',
      interval: 500,
    });

    const written = await readAll(topic);
    expect(written).toHaveLength(2500);
    const byKey = new Map(written.map((m) => [m.key, m]));
    expect(byKey.size).toBe(2500);
    for (const order of orders)
      expect(JSON.parse(byKey.get(order.id)?.value as string)).toEqual(order);
    // The default partitioner spreads keys over partitions; one key always goes to one partition.
    expect(new Set(written.map((m) => m.partition)).size).toBe(3);
  });

  it('writes strings, Buffers and custom values, null for tombstones, to a topic chosen per record', async () => {
    const [even, odd] = await Promise.all([createTopic(1), createTopic(1)]);
    ssc = new StreamingContext({ batchInterval: 200 });
    ssc.queueStream([[0, 1, 2, 3, 4]]).to(
      kafkaSink<number>({
        brokers,
        topic: (n) => (n % 2 === 0 ? even : odd),
        key: (n) => Buffer.from([n]),
        value: (n) => (n === 4 ? null : n === 3 ? Buffer.from('three') : `n=${n}`),
      }),
    );
    ssc.start();
    await waitFor(
      async () => (await readAll(even)).length === 3 && (await readAll(odd)).length === 2,
      { message: 'five messages' },
    );
    expect((await readAll(even)).map((m) => m.value)).toEqual(['n=0', 'n=2', null]);
    expect((await readAll(odd)).map((m) => m.value)).toEqual(['n=1', 'three']);
  });

  it('fails the batch with a clear error when a record cannot be serialized', async () => {
    const topic = await createTopic(1);
    ssc = new StreamingContext({ batchInterval: 200 });
    ssc
      .queueStream<unknown>([['fine', { not: 'a string' }]])
      .to(kafkaSink<unknown>({ brokers, topic, value: 'string' }));
    ssc.start();
    const error = await ssc.awaitTermination().then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error & { code?: string } },
    );
    expect(error?.cause?.code).toBe('KAFKA_SERIALIZATION_FAILED');
    expect(error?.cause?.message).toMatch(
      /could not serialize the value of record 1 .*'string' serializes strings/,
    );
  });

  it('transactional: a batch without offset ranges that its transactional id committed before is not written again, later ones are', async () => {
    const topic = await createTopic(2);
    const transactionalId = uniqueName('tx');
    /** Runs the batches at 1000, 2000, … ms through a new transactional sink, as a new process. */
    async function run(batches: string[][]): Promise<void> {
      const clock = new ManualClock(0);
      ssc = new StreamingContext({ batchInterval: 1000, clock });
      ssc
        .queueStream(batches)
        .to(kafkaSink<string>({ brokers, topic, transactional: { transactionalId } }));
      ssc.start();
      clock.advance(1000 * batches.length);
      await ssc.awaitIdle();
      await ssc.stop();
      ssc = undefined;
    }

    await run([['a1', 'a2'], ['b1']]);
    // Recovered batches keep their times: 1000 and 2000 were committed, 3000 was not.
    await run([['a1', 'a2'], ['b1'], ['c1', 'c2']]);

    expect((await readAll(topic)).map((m) => m.value).sort()).toEqual([
      'a1',
      'a2',
      'b1',
      'c1',
      'c2',
    ]);
    // The time of the last committed batch, committed in its transaction to the progress group.
    const progress = await committedOffsets(`${transactionalId}.dstream-batches`, topic);
    expect(progress.get(0)).toBe(3000n);
  });
});
