import { ConfigurationError, requirePositiveInteger } from '@dstream/core';

/**
 * What a file stream does with a file it cannot read (permission denied, I/O error, a link it
 * cannot resolve). The other files of the batch are read either way unless it is `'fail'`.
 * - `'retry'` (default): leave the file out of this batch and try it again in the next ones,
 *   up to `maxReadAttempts` attempts in all; then give up on it as `'skip'` does.
 * - `'skip'`: leave the file out for good (until it changes).
 * - `'fail'`: fail the batch with a `FILE_READ_FAILED` error; no file of the batch is taken, so
 *   the next batch tries all of them again.
 *
 * Every read error is logged with the file's name and reported in the batch metadata
 * (`readErrors`).
 */
export type ReadErrorPolicy = 'fail' | 'skip' | 'retry';

/** The default number of attempts to read a file with `onReadError: 'retry'`. */
export const DEFAULT_MAX_READ_ATTEMPTS = 3;

const POLICIES: readonly ReadErrorPolicy[] = ['fail', 'skip', 'retry'];

/** Validates `onReadError` and `maxReadAttempts`. */
export function resolveReadErrorPolicy(
  policy: unknown,
  maxReadAttempts: unknown,
): { readonly policy: ReadErrorPolicy; readonly maxReadAttempts: number } {
  const resolved = policy ?? 'retry';
  if (!POLICIES.includes(resolved as ReadErrorPolicy)) {
    throw new ConfigurationError('onReadError', policy, "expected 'fail', 'skip' or 'retry'");
  }
  if (maxReadAttempts !== undefined && resolved !== 'retry') {
    throw new ConfigurationError(
      'maxReadAttempts',
      maxReadAttempts,
      "maxReadAttempts applies only with onReadError: 'retry'",
    );
  }
  return {
    policy: resolved as ReadErrorPolicy,
    maxReadAttempts: requirePositiveInteger(
      'maxReadAttempts',
      maxReadAttempts ?? DEFAULT_MAX_READ_ATTEMPTS,
    ),
  };
}
