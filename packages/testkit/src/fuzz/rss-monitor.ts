/**
 * Samples the resident set size of the process while a test runs, to report its peak and check
 * that memory stays bounded. Sampling uses an unreferenced timer, so it never keeps a process
 * alive.
 */
export class RssMonitor {
  private timer: NodeJS.Timeout | undefined;
  private peakBytes: number;
  /** The resident set size when the monitor was created, in bytes. */
  readonly baselineBytes: number;

  constructor(private readonly intervalMs = 25) {
    this.baselineBytes = process.memoryUsage.rss();
    this.peakBytes = this.baselineBytes;
  }

  /** Starts sampling; returns the monitor. */
  start(): this {
    this.timer ??= setInterval(() => this.sample(), this.intervalMs).unref();
    return this;
  }

  /** Stops sampling after a last sample. */
  stop(): void {
    this.sample();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes a sample now. */
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakBytes) this.peakBytes = rss;
  }

  /** The largest resident set size seen, in bytes. */
  get peak(): number {
    return this.peakBytes;
  }
}
