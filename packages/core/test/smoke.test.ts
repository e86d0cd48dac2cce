import { afterEach, expect, it } from 'vitest';
import { StreamingContext } from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

it('counts words batch by batch', async () => {
  const { ssc, clock } = manualContext();
  const lines = ssc.queueStream([['a b', 'b c'], ['c c']]);
  const counts = lines
    .flatMap((line) => line.split(' '))
    .map((word): [string, number] => [word, 1])
    .reduceByKey((a, b) => a + b);
  const out = collect(counts);
  ssc.start();
  await runBatches(ssc, clock, 3);
  expect(out).toEqual([
    [
      1000,
      [
        ['a', 1],
        ['b', 2],
        ['c', 1],
      ],
    ],
    [2000, [['c', 2]]],
    [3000, []],
  ]);
});
