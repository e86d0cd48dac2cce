import { ManualClock, StreamingContext } from '@dstream/core';
import { afterEach, expect, it } from 'vitest';
import { GeneratedLinesReceiver } from '../src/generated-lines.js';
import { wordCounts } from '../src/word-count.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

it('counts the words of the lines a batch received', async () => {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchInterval: 1000, clock });
  const lines = ssc.queueStream([['node stream node', 'batch'], ['']]);
  const out: [string, number][][] = [];
  wordCounts(lines).foreachBatch((batch) => {
    out.push(batch.collect().sort());
  });
  ssc.start();
  clock.advance(2000);
  await ssc.awaitIdle();
  expect(out).toEqual([
    [
      ['batch', 1],
      ['node', 2],
      ['stream', 1],
    ],
    [],
  ]);
});

it('generates repeatable lines of three to six words', () => {
  const a = new GeneratedLinesReceiver(10, 7);
  const b = new GeneratedLinesReceiver(10, 7);
  const lines = Array.from({ length: 50 }, () => a.nextLine());
  expect(lines).toEqual(Array.from({ length: 50 }, () => b.nextLine()));
  for (const line of lines) expect(line.split(' ').length).toBeGreaterThanOrEqual(3);
  for (const line of lines) expect(line.split(' ').length).toBeLessThanOrEqual(6);
});
