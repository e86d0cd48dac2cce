import { expect, it } from 'vitest';
import { engineWordCount, generateLines, handWrittenWordCount } from '../src/word-count-throughput.js';
import { median, percentile } from '../src/measure.js';

it('the engine and the hand-written loop count the same words', async () => {
  const lines = generateLines(2000);
  expect(await engineWordCount(lines)).toEqual(handWrittenWordCount(lines));
});

it('median and percentile follow their definitions', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 2, 3])).toBe(2.5);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
});
