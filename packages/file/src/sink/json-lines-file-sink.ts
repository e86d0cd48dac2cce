import { requireKnownOptions } from '@dstream/core';
import { FileSink, type FileSinkOptions } from './file-sink.js';

/** Settings of {@link jsonLinesFileSink}. */
export type JsonLinesFileSinkOptions = FileSinkOptions;

/**
 * A sink writing every batch as JSON lines, one record per line as `JSON.stringify` renders it,
 * in a directory `prefix-<timeMs>[.suffix]` of `part-NNNNN` files with a `_SUCCESS` marker,
 * written atomically; rewriting a batch time replaces it (`'idempotent'`). A record that has no
 * JSON form (`undefined`, a function, a BigInt, a cycle) fails the batch with
 * `RECORD_NOT_WRITABLE` and nothing of the batch becomes visible.
 *
 * @example
 * ```ts
 * events.to(jsonLinesFileSink('/data/out/events', { suffix: 'jsonl' }));
 * ```
 */
export function jsonLinesFileSink<T = unknown>(
  prefix: string,
  options: JsonLinesFileSinkOptions = {},
): FileSink<T> {
  requireKnownOptions(options, ['suffix', 'fsync', 'writeEmptyBatches'], 'jsonLinesFileSink');
  return new FileSink<T>('jsonLinesFileSink', prefix, options, {
    header: undefined,
    encode: encodeJson,
  });
}

function encodeJson(record: unknown): string {
  const text = JSON.stringify(record);
  if (text === undefined) throw new TypeError(`${typeof record} has no JSON form`);
  return text;
}
