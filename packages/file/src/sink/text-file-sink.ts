import { ConfigurationError, formatRecord, requireKnownOptions } from '@dstream/core';
import { FileSink, type FileSinkOptions } from './file-sink.js';

/** Settings of {@link textFileSink}. */
export interface TextFileSinkOptions<T> extends FileSinkOptions {
  /**
   * One record as one line of text (default: strings as they are, other values inspected
   * compactly, as `print()` shows them).
   */
  readonly format?: (record: T) => string;
}

/**
 * A sink writing every batch as text files, one record per line (Spark's `saveAsTextFiles`, as
 * a sink): a directory `prefix-<timeMs>[.suffix]` per batch with `part-NNNNN` files and a
 * `_SUCCESS` marker, written atomically; rewriting a batch time replaces it (`'idempotent'`).
 *
 * @example
 * ```ts
 * counts.map(([word, n]) => `${word}\t${n}`).to(textFileSink('/data/out/counts', { suffix: 'tsv' }));
 * ```
 */
export function textFileSink<T = string>(
  prefix: string,
  options: TextFileSinkOptions<T> = {},
): FileSink<T> {
  requireKnownOptions(options, ['suffix', 'fsync', 'writeEmptyBatches', 'format'], 'textFileSink');
  const format = options.format ?? formatRecord;
  if (typeof format !== 'function')
    throw new ConfigurationError('format', format, 'expected a function (record) => string');
  return new FileSink<T>('textFileSink', prefix, options, { header: undefined, encode: format });
}
