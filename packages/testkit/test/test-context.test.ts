import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, type StreamingContext } from '@dstream/core';
import { compareRecords, createTestContext, sortRecords, type TestContext } from '../src/index.js';

let tc: TestContext | undefined;

afterEach(async () => {
  await tc?.stop();
  tc = undefined;
});

describe('createTestContext', () => {
  it('runs batches only when advanced, one batch interval at a time, with exact outputs per batch', async () => {
    tc = createTestContext({ batchInterval: 500 });
    const lines = tc.queue([['a b', 'b'], ['c']]);
    const words = tc.collect(lines.stream.flatMap((line) => line.split(' ')));
    expect(tc.ssc.state).toBe('initialized');

    await tc.advance();
    expect(tc.ssc.state).toBe('active');
    expect(words.times()).toEqual([500]);
    expect(words.records()).toEqual([['a', 'b', 'b']]);

    await tc.advance(2);
    expect(words.times()).toEqual([500, 1000, 1500]);
    expect(words.records()).toEqual([['a', 'b', 'b'], ['c'], []]);
    expect(tc.currentBatchTime).toBe(1500);
  });

  it('takes pushed records as the content of later batches, one push per batch', async () => {
    tc = createTestContext();
    const input = tc.queue<number>();
    const doubled = tc.collect(input.stream.map((n) => n * 2));
    input.push([1, 2]);
    input.push([3]);
    expect(input.pending).toBe(2);
    await tc.advance();
    input.push([4]);
    await tc.advance(3);
    expect(input.pending).toBe(0);
    expect(doubled.records()).toEqual([[2, 4], [6], [8], []]);
    expect(doubled.at(2000)).toEqual([6]);
    expect(doubled.at(9000)).toBeUndefined();
    expect(doubled.last()).toEqual([]);
    expect(doubled.all()).toEqual([2, 4, 6, 8]);
  });

  it('collects several outputs of one graph, and sorted() gives a stable order for unordered batches', async () => {
    tc = createTestContext({ defaultParallelism: 3 });
    const input = tc.queue([['b', 'a', 'c', 'a', 'b', 'a']]);
    const counts = tc.collect(input.stream.countByValue());
    const total = tc.collect(input.stream.count());
    await tc.advance();
    expect(counts.sorted()).toEqual([
      [
        ['a', 3],
        ['b', 2],
        ['c', 1],
      ],
    ]);
    expect(total.records()).toEqual([[6]]);
    counts.clear();
    await tc.advance();
    expect(counts.length).toBe(1);
    expect(counts.batches[0].time).toBe(2000);
  });

  it('starts from the given startTime on its manual clock', async () => {
    tc = createTestContext({ batchInterval: 100, startTime: 10_000 });
    const out = tc.collect(tc.queue([[1]]).stream);
    await tc.advance();
    expect(out.times()).toEqual([10_100]);
    expect(tc.clock.now()).toBe(10_100);
  });

  it('passes other options to the StreamingContext, and stops safely twice', async () => {
    tc = createTestContext({ defaultParallelism: 5 });
    const ssc: StreamingContext = tc.ssc;
    expect(ssc.defaultParallelism).toBe(5);
    tc.collect(tc.queue([[1]]).stream);
    tc.start();
    await tc.stop();
    await tc.stop();
    expect(ssc.state).toBe('stopped');
  });

  it('rejects invalid settings naming the option', () => {
    expect(() => createTestContext({ batchInterval: 0 })).toThrow(ConfigurationError);
    expect(() => createTestContext({ batchInterval: 0 })).toThrow(/batchInterval/);
    expect(() => createTestContext({ startTime: -1 })).toThrow(/startTime/);
    expect(() => createTestContext({ clock: {} } as never)).toThrow(/clock.*ManualClock/);
    tc = createTestContext();
    expect(() => tc!.queue('abc' as never)).toThrow(/batches/);
    expect(() => tc!.queue<number>().push(3 as never)).toThrow(/records/);
    return expect(tc.advance(0)).rejects.toThrow(/batches/);
  });
});

describe('compareRecords', () => {
  it('orders numbers numerically, strings, tuples element by element and objects by key', () => {
    expect(sortRecords([10, 9, 100, -1])).toEqual([-1, 9, 10, 100]);
    expect(sortRecords(['b', 'a', 'ab'])).toEqual(['a', 'ab', 'b']);
    expect(
      sortRecords([
        ['b', 1],
        ['a', 2],
        ['a', 1],
      ]),
    ).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
    ]);
    expect(sortRecords([{ b: 1, a: 2 }, { a: 1 }, { a: 1, b: 0 }])).toEqual([
      { a: 1 },
      { a: 1, b: 0 },
      { b: 1, a: 2 },
    ]);
    expect(sortRecords([null, 'x', 1, undefined, true, [0]])).toEqual([
      undefined,
      null,
      true,
      1,
      'x',
      [0],
    ]);
  });

  it('is consistent: equal by value compares 0, and the order is antisymmetric', () => {
    expect(compareRecords({ a: [1, 'x'] }, { a: [1, 'x'] })).toBe(0);
    expect(compareRecords(new Map([['k', 1]]), new Map([['k', 1]]))).toBe(0);
    expect(Math.sign(compareRecords([1, 2], [1, 3]))).toBe(
      -Math.sign(compareRecords([1, 3], [1, 2])),
    );
    expect(compareRecords(Buffer.from('ab'), Buffer.from('ac'))).toBeLessThan(0);
    expect(compareRecords(NaN, 1)).toBeGreaterThan(0);
  });
});
