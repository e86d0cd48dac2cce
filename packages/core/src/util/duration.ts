/**
 * A length of time in milliseconds. Batch intervals, windows, slides and timeouts are all
 * durations; the helpers below make them read naturally: `seconds(10)`, `minutes(5)`.
 */
export type Duration = number;

/** `n` milliseconds. */
export function milliseconds(n: number): Duration {
  return n;
}

/** `n` seconds, in milliseconds. */
export function seconds(n: number): Duration {
  return n * 1000;
}

/** `n` minutes, in milliseconds. */
export function minutes(n: number): Duration {
  return n * 60_000;
}

/** `n` hours, in milliseconds. */
export function hours(n: number): Duration {
  return n * 3_600_000;
}

/** Whether `duration` is a whole multiple of `unit` (both positive). */
export function isMultipleOf(duration: Duration, unit: Duration): boolean {
  return unit > 0 && duration % unit === 0;
}

/** A duration in readable form, as messages and the UI show it: `1500 ms`, `10 s`. */
export function formatDuration(duration: Duration): string {
  if (duration >= 1000 && duration % 1000 === 0) return `${duration / 1000} s`;
  return `${duration} ms`;
}
