import { appendFileSync } from 'node:fs';
import type { FuzzReport } from './fuzz-tally.js';

/** The seed of the fuzz runs when `DSTREAM_FUZZ_SEED` is not set. */
export const DEFAULT_FUZZ_SEED = 20_240_613;

/** Payloads per fuzz run: `DSTREAM_FUZZ_COUNT` when set, else `fallback` (default 10 000). */
export function fuzzCount(fallback = 10_000): number {
  return positiveWholeNumber('DSTREAM_FUZZ_COUNT', process.env.DSTREAM_FUZZ_COUNT) ?? fallback;
}

/** The seed of a fuzz run: `DSTREAM_FUZZ_SEED` when set, else {@link DEFAULT_FUZZ_SEED}. */
export function fuzzSeed(): number {
  return (
    positiveWholeNumber('DSTREAM_FUZZ_SEED', process.env.DSTREAM_FUZZ_SEED) ?? DEFAULT_FUZZ_SEED
  );
}

/** A test timeout for a fuzz run of `count` payloads, in milliseconds: a minute plus 4 ms a payload. */
export function fuzzTimeout(count: number): number {
  return 60_000 + count * 4;
}

/**
 * Appends the report as one JSON line to the file named by `DSTREAM_FUZZ_REPORT`, when set (the
 * root `pnpm fuzz` command collects them into its table).
 */
export function recordFuzzReport(report: FuzzReport): void {
  const file = process.env.DSTREAM_FUZZ_REPORT;
  if (file !== undefined && file !== '') appendFileSync(file, JSON.stringify(report) + '\n');
}

function positiveWholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) {
    throw new RangeError(`${name} must be a positive whole number, not ${JSON.stringify(value)}`);
  }
  return number;
}
