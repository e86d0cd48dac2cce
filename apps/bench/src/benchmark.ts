/** One row of a benchmark's results table. */
export type ResultRow = Record<string, string | number>;

/** What a benchmark reports: a table and the goal it is measured against. */
export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  readonly rows: ResultRow[];
  /** The goal in words and whether the run met it. */
  readonly goal?: { readonly description: string; readonly met: boolean };
}

/** A benchmark script: runs its measurements side by side in one process and reports them. */
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(options: { readonly quick: boolean }): Promise<BenchmarkResult>;
}
