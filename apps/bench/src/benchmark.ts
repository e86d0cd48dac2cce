/** One row of a benchmark's results table. */
export type ResultRow = Record<string, string | number>;

/** A goal from the benchmarks issue, and whether the run met it. */
export interface Goal {
  readonly description: string;
  readonly met: boolean;
}

/** What a benchmark reports: a table, the goals it is measured against and notes on the method. */
export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  readonly rows: ResultRow[];
  /** The goals in words and whether the run met them. */
  readonly goals?: readonly Goal[];
  /** How the figures were measured, and what bounds them. */
  readonly notes?: readonly string[];
  /** Why the benchmark did not run (a broker down, a connector missing); no rows then. */
  readonly skipped?: string;
}

/** Options every benchmark accepts. */
export interface BenchmarkOptions {
  /** A fast smoke run: smaller sizes, shorter runs, fewer repetitions. */
  readonly quick: boolean;
}

/** A benchmark script: runs its measurements side by side in one process and reports them. */
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(options: BenchmarkOptions): Promise<BenchmarkResult>;
}

/** The result of a benchmark that could not run, with the reason. */
export function skippedResult(
  benchmark: Benchmark,
  title: string,
  reason: string,
): BenchmarkResult {
  return { name: benchmark.name, title, rows: [], skipped: reason };
}
