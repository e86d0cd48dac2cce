import { expect, it } from 'vitest';
import {
  engineWordCount,
  generateLines,
  handWrittenWordCount,
} from '../src/word-count-throughput.js';

it('the engine and the hand-written loop count the same words', async () => {
  const lines = generateLines(2000);
  expect(await engineWordCount(lines)).toEqual(handWrittenWordCount(lines));
});

it('generates the same lines of ten words for the same seed', () => {
  const lines = generateLines(100, 7);
  expect(lines).toEqual(generateLines(100, 7));
  expect(lines).not.toEqual(generateLines(100, 8));
  expect(lines.every((line) => line.split(' ').length === 10)).toBe(true);
});
