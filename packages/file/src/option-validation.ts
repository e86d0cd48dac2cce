import { ConfigurationError } from '@dstream/core';

/** Fails unless `options` is an object whose keys are all in `known`; names the first unknown one. */
export function requireKnownOptions(
  options: unknown,
  known: readonly string[],
  what: string,
): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigurationError('options', options, `expected an object of ${what} options`);
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new ConfigurationError(
        name,
        (options as Record<string, unknown>)[name],
        `unknown option; known ${what} options are ${known.join(', ')}`,
      );
    }
  }
}
