import { ConfigurationError } from './errors.js';
import { requirePositiveInteger } from './validation.js';

/** How a client waits between reconnection attempts, in milliseconds. */
export interface ReconnectBackoffSettings {
  /** Wait before the first attempt after a failure. */
  readonly reconnectDelay: number;
  /** Longest wait between attempts. */
  readonly maxReconnectDelay: number;
}

/** Validates `reconnectDelay` and `maxReconnectDelay` (defaults 500 ms and 30 s). */
export function resolveReconnectBackoff(options: {
  readonly reconnectDelay?: unknown;
  readonly maxReconnectDelay?: unknown;
}): ReconnectBackoffSettings {
  const reconnectDelay = requirePositiveInteger('reconnectDelay', options.reconnectDelay ?? 500);
  const maxReconnectDelay = requirePositiveInteger(
    'maxReconnectDelay',
    options.maxReconnectDelay ?? 30_000,
  );
  if (maxReconnectDelay < reconnectDelay) {
    throw new ConfigurationError(
      'maxReconnectDelay',
      maxReconnectDelay,
      `must be at least reconnectDelay (${reconnectDelay} ms)`,
    );
  }
  return { reconnectDelay, maxReconnectDelay };
}

/**
 * Delays between reconnection attempts: capped exponential backoff. The first delay is
 * `reconnectDelay`, each next one doubles up to `maxReconnectDelay`, with up to a quarter
 * subtracted at random so that many clients do not reconnect in step; {@link reset} after a
 * success.
 */
export class ReconnectBackoff {
  private attempts = 0;

  constructor(private readonly settings: ReconnectBackoffSettings) {}

  /** Failed attempts since the last {@link reset}. */
  get failures(): number {
    return this.attempts;
  }

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const exponent = Math.min(this.attempts, 30);
    this.attempts++;
    const delay = Math.min(
      this.settings.maxReconnectDelay,
      this.settings.reconnectDelay * 2 ** exponent,
    );
    return Math.max(1, Math.round(delay * (1 - Math.random() * 0.25)));
  }

  /** Starts again from the first delay. */
  reset(): void {
    this.attempts = 0;
  }
}
