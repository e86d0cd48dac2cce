import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IllegalArgumentError, StreamingContext } from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

const checkpointDir = (): string => mkdtempSync(join(tmpdir(), 'dstream-windows-'));

describe('window', () => {
  it('holds the batches of the last window duration, starting with partial windows', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1], [2], [3], [4], [5]]);
    const out = collect(input.window(3000));
    ssc.start();
    await runBatches(ssc, clock, 5);
    expect(out).toEqual([
      [1000, [1]],
      [2000, [1, 2]],
      [3000, [1, 2, 3]],
      [4000, [2, 3, 4]],
      [5000, [3, 4, 5]],
    ]);
  });

  it('slides by a multiple of the parent slide, and only emits at its own slide times', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1], [2], [3], [4], [5], [6]]);
    const out = collect(input.window(4000, 2000));
    ssc.start();
    await runBatches(ssc, clock, 6);
    expect(out).toEqual([
      [2000, [1, 2]],
      [4000, [1, 2, 3, 4]],
      [6000, [3, 4, 5, 6]],
    ]);
  });

  it('windows over windows use the windowed stream slide', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1], [2], [3], [4]]);
    const out = collect(input.window(2000, 2000).window(4000, 2000));
    ssc.start();
    await runBatches(ssc, clock, 4);
    expect(out).toEqual([
      [2000, [1, 2]],
      [4000, [1, 2, 3, 4]],
    ]);
  });

  it('refuses window and slide durations that are not multiples of the parent slide', () => {
    const { ssc } = manualContext();
    const input = ssc.queueStream<number>([]);
    expect(() => input.window(1500)).toThrow(IllegalArgumentError);
    expect(() => input.window(1500)).toThrow(
      /window duration .*1500 ms.* must be a multiple of the slide duration of the parent stream \(1 s\)/,
    );
    expect(() => input.window(3000, 1500)).toThrow(/slide duration .*1500 ms.* must be a multiple/);
    expect(() => input.window(4000, 2000).window(3000, 2000)).toThrow(
      /must be a multiple of the slide duration of the parent stream \(2 s\)/,
    );
  });
});

describe('window aggregations', () => {
  it('reduceByWindow, countByWindow, groupByKeyAndWindow and reduceByKeyAndWindow', async () => {
    const { ssc, clock } = manualContext({ checkpointDir: checkpointDir() });
    const numbers = ssc.queueStream([[1, 2], [3], [], [4]]);
    const pairs = ssc.queueStream<[string, number]>([
      [['a', 1]],
      [
        ['a', 2],
        ['b', 1],
      ],
      [],
      [['b', 5]],
    ]);
    const sums = collect(numbers.reduceByWindow((a, b) => a + b, 2000));
    const incrementalSums = collect(
      numbers.reduceByWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        2000,
      ),
    );
    const counts = collect(numbers.countByWindow(2000));
    const groups = collect(pairs.groupByKeyAndWindow(2000));
    const reduced = collect(pairs.reduceByKeyAndWindow((a, b) => a + b, 2000));
    ssc.start();
    await runBatches(ssc, clock, 4);
    expect(sums).toEqual([
      [1000, [3]],
      [2000, [6]],
      [3000, [3]],
      [4000, [4]],
    ]);
    expect(incrementalSums).toEqual([
      [1000, [3]],
      [2000, [6]],
      [3000, [3]],
      [4000, [4]],
    ]);
    expect(counts).toEqual([
      [1000, [2]],
      [2000, [3]],
      [3000, [1]],
      [4000, [1]],
    ]);
    expect(groups).toEqual([
      [1000, [['a', [1]]]],
      [
        2000,
        [
          ['a', [1, 2]],
          ['b', [1]],
        ],
      ],
      [
        3000,
        [
          ['a', [2]],
          ['b', [1]],
        ],
      ],
      [4000, [['b', [5]]]],
    ]);
    expect(reduced).toEqual([
      [1000, [['a', 1]]],
      [
        2000,
        [
          ['a', 3],
          ['b', 1],
        ],
      ],
      [
        3000,
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [4000, [['b', 5]]],
    ]);
  });

  it('countByValueAndWindow drops values whose count falls to zero', async () => {
    const { ssc, clock } = manualContext({ checkpointDir: checkpointDir() });
    const input = ssc.queueStream([['x', 'y'], ['x'], [], []]);
    const out = collect(input.countByValueAndWindow(2000));
    ssc.start();
    await runBatches(ssc, clock, 4);
    expect(out).toEqual([
      [
        1000,
        [
          ['x', 1],
          ['y', 1],
        ],
      ],
      [
        2000,
        [
          ['x', 2],
          ['y', 1],
        ],
      ],
      [3000, [['x', 1]]],
      [4000, []],
    ]);
  });

  it('incremental windows need a checkpoint directory, as in Spark', () => {
    const { ssc } = manualContext();
    ssc
      .queueStream([[1]])
      .countByWindow(2000)
      .print();
    expect(() => ssc.start()).toThrow(/checkpoint directory has not been set/);
  });
});

describe('slice and remember', () => {
  it('slice returns the kept batches of a time range', async () => {
    const { ssc, clock } = manualContext();
    ssc.remember(10_000);
    const input = ssc.queueStream([[1], [2], [3]]);
    input.print();
    ssc.start();
    await runBatches(ssc, clock, 3);
    const batches = await input.slice(2000, 3000);
    expect(batches.map((batch) => batch.collect())).toEqual([[2], [3]]);
    await expect(input.slice(1500, 3000)).rejects.toThrow(/not a multiple of the slide duration/);
  });
});
