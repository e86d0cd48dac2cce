import { ConfigurationError } from '@dstream/core';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A duration such as `500ms`, `10s`, `2m`, `1h` or `3` (seconds), in whole milliseconds.
 * Throws a {@link ConfigurationError} naming `option` (a flag or a variable) otherwise.
 */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  const value = match === null ? NaN : Number(match[1]) * UNITS[match[2] ?? 's'];
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(
      option,
      text,
      'expected a positive duration in whole milliseconds, such as 500ms, 10s, 2m or 1h',
    );
  }
  return value;
}
