import { ManualClock, StreamingContext } from '@dstream/core';
import { afterEach, describe, expect, it } from 'vitest';
import { GeneratedLoadReceiver, stampedRecords } from '../src/generated-load-receiver.js';
import { sleep, waitUntil } from '../src/measure.js';

let ssc: StreamingContext | undefined;

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

describe('GeneratedLoadReceiver', () => {
  it('when saturating, stores until maxInFlight records wait for output, then resumes as they are output', async () => {
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchInterval: 1000, blockInterval: 100, clock });
    let output = 0;
    const seen: number[] = [];
    const receiver = new GeneratedLoadReceiver<number>(
      { kind: 'saturating', maxInFlight: 5000, outstanding: (stored) => stored - output },
      (sequence) => sequence,
    );
    ssc.receiverStream(receiver).foreachBatch((batch) => {
      const records = batch.collect();
      seen.push(...records);
      output += records.length;
    });
    ssc.start();
    await waitUntil(() => receiver.stored >= 5000, 10_000, '5000 stored records');
    await sleep(30);
    expect(receiver.stored).toBe(5000);

    clock.advance(1000);
    await ssc.awaitIdle();
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    await waitUntil(() => receiver.stored >= 10_000, 10_000, '5000 more stored records');
    await sleep(30);
    expect(receiver.stored).toBe(10_000);
  });

  it('at a fixed rate, stamps each record with the time it was stored', async () => {
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchInterval: 1000, blockInterval: 100, clock });
    const before = performance.now();
    const receiver = new GeneratedLoadReceiver(
      { kind: 'fixed', recordsPerSecond: 10_000 },
      stampedRecords((sequence) => `record ${sequence}`),
    );
    const seen: { value: string; arrivedAt: number }[] = [];
    ssc.receiverStream(receiver).foreachBatch((batch) => void seen.push(...batch.collect()));
    ssc.start();
    await waitUntil(() => receiver.stored >= 100, 10_000, '100 stored records');
    clock.advance(1000);
    await ssc.awaitIdle();
    const after = performance.now();
    expect(seen.length).toBeGreaterThanOrEqual(100);
    seen.forEach((record, i) => {
      expect(record.value).toBe(`record ${i}`);
      expect(record.arrivedAt).toBeGreaterThanOrEqual(before);
      expect(record.arrivedAt).toBeLessThanOrEqual(after);
      if (i > 0) expect(record.arrivedAt).toBeGreaterThanOrEqual(seen[i - 1].arrivedAt);
    });
  });
});
