import { ConfigurationError, requireKnownOptions } from '@dstream/core';
import { formatCsvField, resolveDelimiter, type CsvOptions } from '../format/csv-syntax.js';
import { FileSink, type FileSinkOptions } from './file-sink.js';

/** Settings of {@link csvFileSink}. */
export interface CsvFileSinkOptions<T> extends FileSinkOptions, CsvOptions {
  /** The columns to write, in order: each record's properties of these names. */
  readonly columns: readonly (keyof T & string)[];
  /** Start every part file with a header row naming the columns (default `true`). */
  readonly header?: boolean;
}

/**
 * A sink writing every batch as CSV (RFC 4180): a directory `prefix-<timeMs>[.suffix]` of
 * `part-NNNNN` files, each starting with a header row, and a `_SUCCESS` marker, written
 * atomically; rewriting a batch time replaces it (`'idempotent'`). Each record is an object;
 * the `columns` are its properties written in order. `null` and `undefined` become empty
 * fields, dates ISO 8601 text, other objects JSON; fields with delimiters, quotes, line breaks
 * or edge spaces are quoted.
 *
 * @example
 * ```ts
 * totals.map(([customer, amount]) => ({ customer, amount })).to(
 *   csvFileSink('/data/out/totals', { columns: ['customer', 'amount'], suffix: 'csv' }),
 * );
 * ```
 */
export function csvFileSink<T extends object>(
  prefix: string,
  options: CsvFileSinkOptions<T>,
): FileSink<T> {
  requireKnownOptions(
    options,
    ['columns', 'header', 'delimiter', 'suffix', 'fsync', 'writeEmptyBatches'],
    'csvFileSink',
  );
  const columns = options.columns;
  if (
    !Array.isArray(columns) ||
    columns.length === 0 ||
    columns.some((c) => typeof c !== 'string')
  ) {
    throw new ConfigurationError(
      'columns',
      columns,
      'expected a non-empty array of property names',
    );
  }
  if (new Set(columns).size !== columns.length) {
    throw new ConfigurationError('columns', columns, 'expected distinct column names');
  }
  const header = options.header ?? true;
  if (typeof header !== 'boolean')
    throw new ConfigurationError('header', header, 'expected true or false');
  resolveDelimiter('delimiter', options.delimiter);
  const delimiter = options.delimiter ?? ',';
  const names = [...columns] as string[];
  const encode = (record: T): string => {
    if (record === null || typeof record !== 'object')
      throw new TypeError(`expected an object but got ${record === null ? 'null' : typeof record}`);
    let line = '';
    for (let i = 0; i < names.length; i++) {
      if (i > 0) line += delimiter;
      line += formatCsvField(fieldText((record as Record<string, unknown>)[names[i]]), delimiter);
    }
    return line;
  };
  const headerLine = header
    ? names.map((name) => formatCsvField(name, delimiter)).join(delimiter) + '\n'
    : undefined;
  return new FileSink<T>('csvFileSink', prefix, options, { header: headerLine, encode });
}

function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError(`a ${typeof value} cannot be written as a CSV field`);
  return json;
}
