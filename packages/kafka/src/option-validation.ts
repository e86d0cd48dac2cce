import { ConfigurationError, requireNonEmptyString, requirePositiveInteger } from '@dstream/core';

/** Fails on an option name not in `known`: a typo must not be ignored silently. */
export function rejectUnknownOptions(
  what: string,
  options: object,
  known: ReadonlySet<string>,
): void {
  for (const name of Object.keys(options)) {
    if (!known.has(name)) {
      throw new ConfigurationError(
        name,
        (options as Record<string, unknown>)[name],
        `unknown option of ${what}; known options are ${[...known].join(', ')}`,
      );
    }
  }
}

/** Fails unless `options` is a plain object. */
export function requireOptionsObject(what: string, options: unknown): asserts options is object {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigurationError('options', options, `expected an object of ${what} options`);
  }
}

/** A non-empty array of distinct, non-empty topic names. */
export function requireTopics(option: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigurationError(option, value, 'expected a non-empty array of topic names');
  }
  for (const topic of value) {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new ConfigurationError(
        option,
        value,
        'expected every topic name to be a non-empty string',
      );
    }
  }
  if (new Set(value).size !== value.length) {
    throw new ConfigurationError(option, value, 'expected distinct topic names');
  }
  return [...(value as string[])];
}

/** An optional positive whole number. */
export function optionalPositiveInteger(option: string, value: unknown): number | undefined {
  return value === undefined ? undefined : requirePositiveInteger(option, value);
}

/** An optional non-empty string. */
export function optionalNonEmptyString(option: string, value: unknown): string | undefined {
  return value === undefined ? undefined : requireNonEmptyString(option, value);
}

/** An optional boolean. */
export function optionalBoolean(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ConfigurationError(option, value, 'expected true or false');
  }
  return value;
}

/** An optional positive finite number (rates may be fractional). */
export function optionalPositiveNumber(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(option, value, 'expected a positive number');
  }
  return value;
}
