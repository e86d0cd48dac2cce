import { afterEach, describe, expect, it } from 'vitest';
import { Batch, StreamingContext } from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

describe('narrow transformations', () => {
  it('map, flatMap and filter apply per record, batch by batch', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1, 2, 3], [4]]);
    const mapped = collect(input.map((x) => x * 10));
    const flat = collect(input.flatMap((x) => [x, -x]));
    const even = collect(input.filter((x) => x % 2 === 0));
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(mapped).toEqual([
      [1000, [10, 20, 30]],
      [2000, [40]],
    ]);
    expect(flat).toEqual([
      [1000, [-1, -2, -3, 1, 2, 3]],
      [2000, [-4, 4]],
    ]);
    expect(even).toEqual([
      [1000, [2]],
      [2000, [4]],
    ]);
  });

  it('glom gives one array per partition and mapPartitions sees each partition', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([Batch.fromPartitions([[1, 2], [3]])]);
    const glommed = collect(input.glom(), false);
    const sums = collect(
      input.mapPartitions((records, index) => [`${index}:${records.reduce((a, b) => a + b, 0)}`]),
      false,
    );
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(glommed).toEqual([[1000, [[1, 2], [3]]]]);
    expect(sums).toEqual([[1000, ['0:3', '1:3']]]);
  });

  it('repartition spreads records evenly over the partitions asked for', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1, 2, 3, 4, 5]]);
    const sizes: number[][] = [];
    input.repartition(3).foreachBatch((batch) => {
      sizes.push(batch.partitions.map((p) => p.length));
    });
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(sizes).toEqual([[2, 2, 1]]);
  });

  it('count gives 0 for an empty batch; reduce gives nothing', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1, 2, 3], []]);
    const counts = collect(input.count());
    const sums = collect(input.reduce((a, b) => a + b));
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(counts).toEqual([
      [1000, [3]],
      [2000, [0]],
    ]);
    expect(sums).toEqual([
      [1000, [6]],
      [2000, []],
    ]);
  });

  it('countByValue counts equal records, comparing composite records by value', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream<unknown>([['a', 'b', 'a', { x: 1, y: 2 }, { y: 2, x: 1 }]]);
    const out = collect(input.countByValue());
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([
      [
        1000,
        [
          ['a', 2],
          ['b', 1],
          [{ x: 1, y: 2 }, 2],
        ],
      ],
    ]);
  });

  it('transform applies a batch function with the batch time; transformWith combines two streams', async () => {
    const { ssc, clock } = manualContext();
    const left = ssc.queueStream([[1, 2]]);
    const right = ssc.queueStream([[10]]);
    const timed = collect(left.transform((batch, time) => batch.map((x) => x + time)));
    const combined = collect(left.transformWith(right, (a, b) => a.union(b)));
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(timed).toEqual([[1000, [1001, 1002]]]);
    expect(combined).toEqual([[1000, [1, 10, 2]]]);
  });

  it('union merges streams batch by batch, as a method and on the context', async () => {
    const { ssc, clock } = manualContext();
    const a = ssc.queueStream([[1], [2]]);
    const b = ssc.queueStream([[10], []]);
    const c = ssc.queueStream([[100], [200]]);
    const viaMethod = collect(a.union(b));
    const viaContext = collect(ssc.union([a, b, c]));
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(viaMethod).toEqual([
      [1000, [1, 10]],
      [2000, [2]],
    ]);
    expect(viaContext).toEqual([
      [1000, [1, 10, 100]],
      [2000, [2, 200]],
    ]);
  });

  it('queueStream takes everything queued when not one at a time, and the default batch when empty', async () => {
    const { ssc, clock } = manualContext();
    const queue = [[1], [2]];
    const all = collect(ssc.queueStream(queue, false, [0]));
    ssc.start();
    await runBatches(ssc, clock, 1);
    queue.push([3]);
    await runBatches(ssc, clock, 2);
    expect(all).toEqual([
      [1000, [1, 2]],
      [2000, [3]],
      [3000, [0]],
    ]);
  });
});

describe('key-value transformations', () => {
  it('reduceByKey, groupByKey and combineByKey work per batch', async () => {
    const { ssc, clock } = manualContext();
    const pairs = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 2],
        ['a', 3],
      ],
      [['b', 5]],
    ]);
    const reduced = collect(pairs.reduceByKey((x, y) => x + y));
    const grouped = collect(pairs.groupByKey());
    const averaged = collect(
      pairs
        .combineByKey<string, number, [number, number]>({
          createCombiner: (v) => [v, 1],
          mergeValue: ([sum, n], v) => [sum + v, n + 1],
          mergeCombiners: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
        })
        .mapValues(([sum, n]) => sum / n),
    );
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(reduced).toEqual([
      [
        1000,
        [
          ['a', 4],
          ['b', 2],
        ],
      ],
      [2000, [['b', 5]]],
    ]);
    expect(grouped).toEqual([
      [
        1000,
        [
          ['a', [1, 3]],
          ['b', [2]],
        ],
      ],
      [2000, [['b', [5]]]],
    ]);
    expect(averaged).toEqual([
      [
        1000,
        [
          ['a', 2],
          ['b', 2],
        ],
      ],
      [2000, [['b', 5]]],
    ]);
  });

  it('mapValues and flatMapValues keep keys', async () => {
    const { ssc, clock } = manualContext();
    const pairs = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 2],
      ],
    ]);
    const doubled = collect(pairs.mapValues((v) => v * 2));
    const expanded = collect(pairs.flatMapValues((v) => Array.from({ length: v }, (_, i) => i)));
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(doubled).toEqual([
      [
        1000,
        [
          ['a', 2],
          ['b', 4],
        ],
      ],
    ]);
    expect(expanded).toEqual([
      [
        1000,
        [
          ['a', 0],
          ['b', 0],
          ['b', 1],
        ],
      ],
    ]);
  });

  it('treats tuple and object keys as equal by value', async () => {
    const { ssc, clock } = manualContext();
    const pairs = ssc.queueStream<[unknown, number]>([
      [
        [['x', 1], 1],
        [['x', 1], 2],
        [{ a: 1, b: [2] }, 3],
        [{ b: [2], a: 1 }, 4],
        ['1', 5],
        [1, 6],
      ],
    ]);
    const out = collect(pairs.reduceByKey((a, b) => a + b));
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([
      [
        1000,
        [
          ['1', 5],
          [1, 6],
          [['x', 1], 3],
          [{ a: 1, b: [2] }, 7],
        ],
      ],
    ]);
  });

  it('hash-partitions wide results into the partitions asked for, same key same partition', async () => {
    const { ssc, clock } = manualContext();
    const pairs = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 1],
        ['c', 1],
        ['d', 1],
      ],
      [
        ['a', 1],
        ['d', 1],
      ],
    ]);
    const layouts: string[][][] = [];
    pairs
      .reduceByKey((a, b) => a + b, 3)
      .foreachBatch((batch) => {
        expect(batch.numPartitions).toBe(3);
        layouts.push(batch.partitions.map((p) => p.map(([k]) => k)));
      });
    ssc.start();
    await runBatches(ssc, clock, 2);
    const partitionOfKey = (layout: string[][], key: string): number =>
      layout.findIndex((p) => p.includes(key));
    expect(partitionOfKey(layouts[1], 'a')).toBe(partitionOfKey(layouts[0], 'a'));
    expect(partitionOfKey(layouts[1], 'd')).toBe(partitionOfKey(layouts[0], 'd'));
  });
});

describe('joins', () => {
  const leftData: [string, number][] = [
    ['a', 1],
    ['a', 2],
    ['b', 3],
  ];
  const rightData: [string, string][] = [
    ['a', 'x'],
    ['c', 'y'],
  ];

  it('inner, left, right and full outer joins and cogroup, with keys on one side only', async () => {
    const { ssc, clock } = manualContext();
    const left = ssc.queueStream<[string, number]>([leftData, []]);
    const right = ssc.queueStream<[string, string]>([rightData, [['z', 'q']]]);
    const inner = collect(left.join(right));
    const leftOuter = collect(left.leftOuterJoin(right));
    const rightOuter = collect(left.rightOuterJoin(right));
    const fullOuter = collect(left.fullOuterJoin(right));
    const cogrouped = collect(left.cogroup(right));
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(inner).toEqual([
      [
        1000,
        [
          ['a', [1, 'x']],
          ['a', [2, 'x']],
        ],
      ],
      [2000, []],
    ]);
    expect(leftOuter).toEqual([
      [
        1000,
        [
          ['a', [1, 'x']],
          ['a', [2, 'x']],
          ['b', [3, undefined]],
        ],
      ],
      [2000, []],
    ]);
    expect(rightOuter).toEqual([
      [
        1000,
        [
          ['a', [1, 'x']],
          ['a', [2, 'x']],
          ['c', [undefined, 'y']],
        ],
      ],
      [2000, [['z', [undefined, 'q']]]],
    ]);
    expect(fullOuter).toEqual([
      [
        1000,
        [
          ['a', [1, 'x']],
          ['a', [2, 'x']],
          ['b', [3, undefined]],
          ['c', [undefined, 'y']],
        ],
      ],
      [2000, [['z', [undefined, 'q']]]],
    ]);
    expect(cogrouped).toEqual([
      [
        1000,
        [
          ['a', [[1, 2], ['x']]],
          ['b', [[3], []]],
          ['c', [[], ['y']]],
        ],
      ],
      [2000, [['z', [[], ['q']]]]],
    ]);
  });
});
