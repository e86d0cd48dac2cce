import { inspect } from 'node:util';
import type { Batch } from '../batch/batch.js';

/**
 * Prints the first `count` records of a batch under a header with its time, as Spark's
 * `print()` does; `...` marks a batch with more records. The only console output of dstream.
 */
export function printBatch<T>(batch: Batch<T>, time: number, count: number): void {
  const first = batch.take(count + 1);
  const lines = [
    '-------------------------------------------',
    `Time: ${time} ms`,
    '-------------------------------------------',
  ];
  for (let i = 0; i < Math.min(count, first.length); i++) lines.push(formatRecord(first[i]));
  if (first.length > count) lines.push('...');
  lines.push('');
  process.stdout.write(lines.join('\n') + '\n');
}

/** A record as one line of text: strings as they are, everything else inspected compactly. */
export function formatRecord(record: unknown): string {
  if (typeof record === 'string') return record;
  return inspect(record, { breakLength: Infinity, depth: 4 });
}
