/**
 * Delays between reconnection attempts: capped exponential backoff. The first delay is
 * `initialDelay`, each next one doubles up to `maxDelay`, with up to a quarter subtracted at
 * random so that many clients do not reconnect in step; {@link reset} after a success.
 */
export class ReconnectBackoff {
  private attempts = 0;

  constructor(
    private readonly initialDelay: number,
    private readonly maxDelay: number,
  ) {}

  /** Failed attempts since the last {@link reset}. */
  get failures(): number {
    return this.attempts;
  }

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const exponent = Math.min(this.attempts, 30);
    this.attempts++;
    const delay = Math.min(this.maxDelay, this.initialDelay * 2 ** exponent);
    return Math.max(1, Math.round(delay * (1 - Math.random() * 0.25)));
  }

  /** Starts again from the initial delay. */
  reset(): void {
    this.attempts = 0;
  }
}
