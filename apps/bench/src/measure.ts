/** How a measurement is repeated: warm-up runs are discarded, the median of the rest is kept. */
export interface Repetition {
  readonly warmup: number;
  readonly runs: number;
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The p-th percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Runs `body` warm-up + runs times and returns the median duration of the measured runs in
 * milliseconds. Garbage is collected before each run when the process allows it.
 */
export async function medianDuration(repetition: Repetition, body: () => Promise<void> | void): Promise<number> {
  const durations: number[] = [];
  for (let i = 0; i < repetition.warmup + repetition.runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const start = process.hrtime.bigint();
    await body();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= repetition.warmup) durations.push(elapsed);
  }
  return median(durations);
}
