import { setTimeout as delay } from 'node:timers/promises';

/** How a measurement is repeated: warm-up runs are discarded, the median of the rest is kept. */
export interface Repetition {
  readonly warmup: number;
  readonly runs: number;
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The p-th percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, p);
}

/** The p-th percentile (0–100) of numbers already sorted in ascending order, nearest rank. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Rounds to `digits` decimal places. */
export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Runs the garbage collector until the heap stops shrinking, when node runs with --expose-gc. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  let before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 8; i++) {
    gc();
    const after = process.memoryUsage().heapUsed;
    if (before - after < 64 * 1024) return;
    before = after;
  }
}

/** Whether the garbage collector can be run (node --expose-gc). */
export function canCollectGarbage(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/**
 * Bytes of JavaScript heap in use after a full garbage collection. Waits for a turn of the timers
 * first: what a just-finished run left to pending callbacks (a stopped context) is released then.
 */
export async function heapUsedAfterGc(): Promise<number> {
  await delay(20);
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs each of `bodies` warm-up + runs times, taking turns (a, b, a, b, …) so that all of them
 * see the same machine conditions, and returns the median duration in milliseconds of each
 * one's measured runs. Garbage is collected before each run when the process allows it.
 */
export async function interleavedMedianDurations(
  repetition: Repetition,
  bodies: readonly (() => Promise<void> | void)[],
): Promise<number[]> {
  const durations = bodies.map((): number[] => []);
  for (let i = 0; i < repetition.warmup + repetition.runs; i++) {
    for (let b = 0; b < bodies.length; b++) {
      collectGarbage();
      const start = process.hrtime.bigint();
      await bodies[b]();
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (i >= repetition.warmup) durations[b].push(elapsed);
    }
  }
  return durations.map(median);
}

/** The median duration in milliseconds of `body`'s measured runs (see {@link interleavedMedianDurations}). */
export async function medianDuration(
  repetition: Repetition,
  body: () => Promise<void> | void,
): Promise<number> {
  return (await interleavedMedianDurations(repetition, [body]))[0];
}

/** p50, p99 and max of a set of samples. */
export interface Distribution {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Latency samples in a growable typed array: adding one allocates nothing, so recording does not
 * disturb what it measures.
 */
export class Samples {
  private values: Float64Array;
  private length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.values = new Float64Array(Math.max(16, initialCapacity));
  }

  /** Number of samples. */
  get count(): number {
    return this.length;
  }

  /** Adds one sample. */
  add(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  /** Forgets every sample. */
  clear(): void {
    this.length = 0;
  }

  /** p50, p99 and max of the samples (NaN when there are none). */
  distribution(): Distribution {
    const sorted = this.values.slice(0, this.length).sort();
    return {
      count: this.length,
      p50: percentileOfSorted(sorted, 50),
      p99: percentileOfSorted(sorted, 99),
      max: this.length === 0 ? NaN : sorted[this.length - 1],
    };
  }
}

/**
 * Counts records as they are output and gives the rate over a window that starts after a
 * warm-up: records counted between `startWindow()` and `endWindow()` over the time between.
 */
export class ThroughputMeter {
  /** Records counted since the meter was created. */
  total = 0;

  private windowStart: WindowEdge | undefined;
  private windowEnd: WindowEdge | undefined;

  /**
   * `now` gives the time in milliseconds (default `performance.now()`), `cpuTime` the CPU time
   * the process used so far in milliseconds, all threads (default from `process.cpuUsage()`).
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly cpuTime: () => number = processCpuTime,
  ) {}

  /** Counts `records` more records. */
  count(records: number): void {
    this.total += records;
  }

  /** Starts the measured window now. */
  startWindow(): void {
    this.windowStart = { time: this.now(), cpu: this.cpuTime(), total: this.total };
    this.windowEnd = undefined;
  }

  /** Ends the measured window now. */
  endWindow(): void {
    this.windowEnd = { time: this.now(), cpu: this.cpuTime(), total: this.total };
  }

  /** Records per second in the window. */
  get rate(): number {
    const start = this.windowStart;
    const end = this.windowEnd;
    if (start === undefined || end === undefined || end.time <= start.time) return NaN;
    return ((end.total - start.total) * 1000) / (end.time - start.time);
  }

  /**
   * Records per second of CPU time the process used in the window: less sensitive than
   * {@link rate} to other work on the machine, blind to time spent waiting (for a disk).
   */
  get ratePerCpuSecond(): number {
    const start = this.windowStart;
    const end = this.windowEnd;
    if (start === undefined || end === undefined || end.cpu <= start.cpu) return NaN;
    return ((end.total - start.total) * 1000) / (end.cpu - start.cpu);
  }

  /** Records counted in the window. */
  get windowRecords(): number {
    const start = this.windowStart;
    const end = this.windowEnd;
    return start === undefined || end === undefined ? 0 : end.total - start.total;
  }
}

interface WindowEdge {
  readonly time: number;
  readonly cpu: number;
  readonly total: number;
}

/** CPU time (user + system) the process used so far, in milliseconds. */
function processCpuTime(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

/**
 * Polls `condition` every `intervalMs` until it holds; rejects with `what` when `timeoutMs`
 * passes first.
 */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
  intervalMs = 5,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
