import { ConfigurationError } from '@dstream/core';
import picomatch from 'picomatch';

/**
 * Which files of the directory a file stream reads, by name: a glob (`'*.csv'`), several globs
 * (any may match), or a function of the file name. Globs use picomatch syntax and are matched
 * against the file's name, not its path.
 */
export type FileNameFilter = string | readonly string[] | ((name: string) => boolean);

/**
 * Whether `name` is a file that is still being written or is not data, which a file stream
 * never reads: hidden files (starting with `.`), files starting with `_` (such as `_SUCCESS`
 * markers), and the temporary names of copy tools (ending in `.tmp` or `._COPYING_`).
 */
export function isHiddenOrTemporaryFile(name: string): boolean {
  const first = name.charCodeAt(0);
  return (
    first === 0x2e /* . */ ||
    first === 0x5f /* _ */ ||
    name.endsWith('.tmp') ||
    name.endsWith('._COPYING_')
  );
}

/** Turns the `filter` option into a predicate on file names, validating it. */
export function compileFileNameFilter(
  filter: FileNameFilter | undefined,
): (name: string) => boolean {
  if (filter === undefined) return () => true;
  if (typeof filter === 'function') return filter;
  const globs = typeof filter === 'string' ? [filter] : filter;
  if (
    !Array.isArray(globs) ||
    globs.length === 0 ||
    globs.some((g) => typeof g !== 'string' || g.length === 0)
  ) {
    throw new ConfigurationError(
      'filter',
      filter,
      'expected a glob such as "*.csv", a non-empty array of globs, or a function (name) => boolean',
    );
  }
  try {
    return picomatch(globs as string[]);
  } catch (error) {
    throw new ConfigurationError('filter', filter, 'expected valid picomatch globs', {
      cause: error,
    });
  }
}
