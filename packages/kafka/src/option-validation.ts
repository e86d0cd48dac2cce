import { ConfigurationError, requireNonEmptyString, requirePositiveInteger } from '@dstream/core';

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

/** An optional positive finite number (rates may be fractional). */
export function optionalPositiveNumber(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(option, value, 'expected a positive number');
  }
  return value;
}
