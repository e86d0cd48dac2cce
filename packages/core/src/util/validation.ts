import { ConfigurationError } from './errors.js';

/** Fails unless `value` is a positive integer; used for intervals, sizes and counts. */
export function requirePositiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(option, value, 'expected a positive whole number');
  }
  return value;
}

/** Fails unless `value` is a whole number of zero or more. */
export function requireNonNegativeInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigurationError(option, value, 'expected a whole number of zero or more');
  }
  return value;
}

/** Fails unless `value` is a positive finite number. */
export function requirePositiveNumber(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(option, value, 'expected a positive number');
  }
  return value;
}

/** Fails unless `value` is one of `allowed`. */
export function requireOneOf<T extends string>(
  option: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigurationError(
      option,
      value,
      `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
    );
  }
  return value as T;
}

/** Fails unless `value` is a function. */
export function requireFunction(option: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new ConfigurationError(option, value, 'expected a function');
  }
}

/** Fails unless `value` is a non-empty string. */
export function requireNonEmptyString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigurationError(option, value, 'expected a non-empty string');
  }
  return value;
}

/**
 * Fails unless `options` is a plain object whose keys are all in `known`: a misspelt option
 * must not be ignored silently. `what` names the settings in the message (`'mqttStream'`);
 * `prefix` is put before the option's name for nested settings (`'flowControl.'`).
 */
export function requireKnownOptions(
  options: unknown,
  known: Iterable<string>,
  what: string,
  prefix = '',
): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigurationError('options', options, `expected an object of ${what} options`);
  }
  const names = known instanceof Set ? (known as Set<string>) : new Set(known);
  for (const name of Object.keys(options)) {
    if (!names.has(name)) {
      throw new ConfigurationError(
        `${prefix}${name}`,
        (options as Record<string, unknown>)[name],
        `unknown option; known ${what} options are ${[...names].join(', ')}`,
      );
    }
  }
}

/** An optional boolean: `undefined` or `true`/`false`. */
export function optionalBoolean(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ConfigurationError(option, value, 'expected true or false');
  }
  return value;
}
