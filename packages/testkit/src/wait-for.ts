import { ConfigurationError, DStreamError } from '@dstream/core';

/** How long and how often to poll. */
export interface WaitOptions {
  /** Milliseconds before giving up (default 10 000). */
  readonly timeout?: number;
  /** Milliseconds between two attempts (default 20). */
  readonly interval?: number;
  /** What was awaited, for the error message on timeout. */
  readonly message?: string;
}

/** Thrown by {@link waitFor} and {@link eventually} when the time is up; code `WAIT_TIMEOUT`. */
export class WaitTimeoutError extends DStreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAIT_TIMEOUT', message, options);
  }
}

/**
 * Polls `predicate` until it returns `true`; fails with a {@link WaitTimeoutError} after
 * `timeout` milliseconds. For tests on a `SystemClock` (real brokers, sockets): wait for the
 * expected output with a deadline instead of sleeping a fixed time.
 *
 * @example
 * ```ts
 * await waitFor(() => outputs.all().length >= 3, { message: 'three records' });
 * ```
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const { timeout, interval } = resolveWaitOptions(options);
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `Timed out after ${timeout} ms waiting for ${options.message ?? 'a condition'}`,
      );
    }
    await sleep(interval);
  }
}

/**
 * Runs `assertion` until it stops throwing and returns its result; after `timeout`
 * milliseconds fails with a {@link WaitTimeoutError} whose `cause` is the last failure.
 *
 * @example
 * ```ts
 * await eventually(() => expect(outputs.all()).toContain('hello'));
 * ```
 */
export async function eventually<R>(
  assertion: () => R | Promise<R>,
  options: WaitOptions = {},
): Promise<R> {
  const { timeout, interval } = resolveWaitOptions(options);
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new WaitTimeoutError(
          `Timed out after ${timeout} ms waiting for ${options.message ?? 'an assertion to pass'}: ${reason}`,
          { cause: error },
        );
      }
    }
    await sleep(interval);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function resolveWaitOptions(options: WaitOptions): { timeout: number; interval: number } {
  const timeout = options.timeout ?? 10_000;
  const interval = options.interval ?? 20;
  if (!(timeout >= 0))
    throw new ConfigurationError('timeout', timeout, 'expected a number of milliseconds >= 0');
  if (!(interval > 0))
    throw new ConfigurationError(
      'interval',
      interval,
      'expected a positive number of milliseconds',
    );
  return { timeout, interval };
}
