/**
 * A token bucket that limits a receiver to `rate` records per second, with up to one second of
 * burst. Consuming past the limit is allowed (records are never refused) but puts the bucket in
 * debt: {@link delayUntilAvailable} then says how long the receiver should pause.
 */
export class RateLimiter {
  private tokens: number;
  private lastRefill: number;
  private rate: number;

  constructor(
    /** Records per second; `Infinity` for no limit. */
    rate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.rate = rate;
    this.tokens = Number.isFinite(rate) ? rate : 0;
    this.lastRefill = now();
  }

  /** The current limit in records per second. */
  get currentRate(): number {
    return this.rate;
  }

  /** Changes the limit (backpressure); the bucket keeps its debt. */
  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
    if (Number.isFinite(rate)) this.tokens = Math.min(this.tokens, rate);
  }

  /** Takes `count` tokens; returns whether the bucket is still within its limit. */
  consume(count: number): boolean {
    if (!Number.isFinite(this.rate)) return true;
    this.refill();
    this.tokens -= count;
    return this.tokens >= 0;
  }

  /** Milliseconds until the bucket is out of debt (0 when it is). */
  delayUntilAvailable(): number {
    if (!Number.isFinite(this.rate)) return 0;
    this.refill();
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.lastRefill;
    this.lastRefill = now;
    if (elapsed > 0 && Number.isFinite(this.rate)) {
      this.tokens = Math.min(this.rate, this.tokens + (elapsed / 1000) * this.rate);
    }
  }
}
