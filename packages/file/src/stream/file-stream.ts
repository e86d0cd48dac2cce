import { resolve } from 'node:path';
import {
  ConfigurationError,
  RecordDecoding,
  jsonDecoder,
  requireNonEmptyString,
  requirePositiveInteger,
  seconds,
  stringDecoder,
  type DStream,
  type DecodeErrorPolicy,
  type Decoder,
  type Duration,
  type StreamingContext,
  requireKnownOptions,
} from '@dstream/core';
import {
  resolveCsvLimits,
  resolveDelimiter,
  type CsvRecord,
  type CsvStreamOptions,
} from '../format/csv-syntax.js';
import type { FileRecordReader } from '../format/file-record-reader.js';
import { CsvRecordReader } from '../format/csv-record-reader.js';
import { LineRecordReader } from '../format/line-record-reader.js';
import { compileFileNameFilter, type FileNameFilter } from './file-name-filter.js';
import { FileInputSource } from './file-input-source.js';
import { resolveReadErrorPolicy, type ReadErrorPolicy } from './read-error-policy.js';
import { DEFAULT_READ_BLOCK_SIZE } from './read-in-blocks.js';

/**
 * The built-in file formats:
 * - `'text'`: one string per line (UTF-8; `\n` or `\r\n` line endings).
 * - `'jsonl'`: one JSON value per line; blank lines are ignored.
 * - `'csv'`: RFC 4180 CSV with a header row; one object `{ column: field }` per row.
 */
export type FileFormatName = 'text' | 'jsonl' | 'csv';

/** Settings of a file stream; every one is optional. */
export interface FileStreamOptions {
  /**
   * How files are decoded: `'text'` (default), `'jsonl'`, `'csv'`, or a function that decodes
   * one line (as bytes, without its line ending) into a record and throws when it cannot.
   */
  readonly format?: FileFormatName | Decoder<unknown>;
  /** Which files to read, by name: a glob, several globs, or a predicate (default: all). */
  readonly filter?: FileNameFilter;
  /**
   * Ignore files already in the directory when the context starts (default `true`). With
   * `false` they are read by the first batch, as long as their modification time is within the
   * remember window.
   */
  readonly newFilesOnly?: boolean;
  /**
   * How far back modification times are considered, in milliseconds (default 60 s, as in Spark;
   * rounded up to a multiple of the batch interval). A file whose modification time is older
   * than that when it appears is ignored; taken files are remembered that long.
   */
  readonly minRememberDuration?: Duration;
  /** What to do with a record that cannot be decoded (default `'fail'`). */
  readonly onDecodeError?: DecodeErrorPolicy;
  /**
   * What to do with a file that cannot be read (default `'retry'`): `'retry'` leaves it out of
   * the batch and tries it again in the next ones (up to `maxReadAttempts` attempts, then gives
   * up on it), `'skip'` leaves it out for good, `'fail'` fails the batch. The other files of the
   * batch are read either way unless it is `'fail'`; every read error is logged with the file's
   * name and listed in the batch metadata (`readErrors`).
   */
  readonly onReadError?: ReadErrorPolicy;
  /** With `onReadError: 'retry'`: how many attempts a file gets before it is given up (default 3). */
  readonly maxReadAttempts?: number;
  /**
   * Follow symbolic links that lead out of the watched directory (default `false`: such links
   * are not read, with a warning). Links to files inside the directory are always followed.
   */
  readonly followSymlinks?: boolean;
  /**
   * How many bytes are read from a file at a time (default 1 MiB): a file is read as a stream
   * of blocks, so memory for reading stays a few blocks' worth whatever the file's size.
   */
  readonly readBlockSize?: number;
  /** CSV settings, with `format: 'csv'`. */
  readonly csv?: CsvStreamOptions;
}

/** Settings of {@link textFileStream}: those of {@link FileStreamOptions} without the format. */
export type TextFileStreamOptions = Omit<FileStreamOptions, 'format' | 'csv'>;

const KNOWN_OPTIONS = [
  'format',
  'filter',
  'newFilesOnly',
  'minRememberDuration',
  'onDecodeError',
  'onReadError',
  'maxReadAttempts',
  'followSymlinks',
  'readBlockSize',
  'csv',
];
const FORMATS: readonly FileFormatName[] = ['text', 'jsonl', 'csv'];

/**
 * A stream of the lines of the text files that appear in `directory` (Spark's
 * `textFileStream`). See {@link fileStream} for how files are picked.
 *
 * @example
 * ```ts
 * const lines = textFileStream(ssc, '/data/incoming', { filter: '*.log' });
 * lines.flatMap((line) => line.split(' ')).countByValue().print();
 * ```
 */
export function textFileStream(
  ssc: StreamingContext,
  directory: string,
  options: TextFileStreamOptions = {},
): DStream<string> {
  if (
    options !== null &&
    typeof options === 'object' &&
    ('format' in options || 'csv' in options)
  ) {
    throw new ConfigurationError(
      'format',
      (options as FileStreamOptions).format,
      'textFileStream always reads text; use fileStream for other formats',
    );
  }
  return fileStream(ssc, directory, { ...options, format: 'text' });
}

/**
 * A stream of the records of the files that appear in `directory` (Spark's `fileStream`),
 * without a receiver. Every batch takes the files whose modification time falls in its
 * interval and that no batch took before; each file becomes one partition, and the batch
 * metadata lists the files and what went wrong (`FileBatchMetadata`).
 *
 * Files must appear atomically: write them elsewhere on the same file system (or under a
 * hidden or temporary name such as `.name`, `_name`, `name.tmp` or `name._COPYING_`) and
 * rename them into the directory. A file that changes while it is read is left for a later
 * batch; changes to a file after it was taken are not read, and are reported with a warning.
 * A file that cannot be read follows `onReadError`, and a file that leaves the remember window
 * without having been taken is reported with a warning.
 *
 * @example
 * ```ts
 * const orders = fileStream(ssc, '/data/orders', { format: 'csv', filter: '*.csv' });
 * orders.map((row) => [row.customer, Number(row.amount)] as [string, number]).reduceByKey((a, b) => a + b).print();
 * ```
 */
export function fileStream(
  ssc: StreamingContext,
  directory: string,
  options: FileStreamOptions & { readonly format: 'csv' },
): DStream<CsvRecord>;
export function fileStream<T = unknown>(
  ssc: StreamingContext,
  directory: string,
  options: FileStreamOptions & { readonly format: 'jsonl' },
): DStream<T>;
export function fileStream(
  ssc: StreamingContext,
  directory: string,
  options?: FileStreamOptions & { readonly format?: 'text' },
): DStream<string>;
export function fileStream<T>(
  ssc: StreamingContext,
  directory: string,
  options: FileStreamOptions & { readonly format: Decoder<T> },
): DStream<T>;
export function fileStream(
  ssc: StreamingContext,
  directory: string,
  options: FileStreamOptions = {},
): DStream<unknown> {
  return ssc.inputStream(createFileInputSource(ssc, directory, options));
}

/**
 * The input source behind {@link fileStream}, validated, for `ssc.inputStream(source)`: use it
 * to keep a handle on the source (its directory and remembered files).
 */
export function createFileInputSource(
  ssc: StreamingContext,
  directory: string,
  options: FileStreamOptions = {},
): FileInputSource<unknown> {
  requireKnownOptions(options, KNOWN_OPTIONS, 'file stream');
  const path = resolve(requireNonEmptyString('directory', directory));
  const accept = compileFileNameFilter(options.filter);
  const newFilesOnly = options.newFilesOnly ?? true;
  if (typeof newFilesOnly !== 'boolean') {
    throw new ConfigurationError('newFilesOnly', newFilesOnly, 'expected true or false');
  }
  const minRemember = requirePositiveInteger(
    'minRememberDuration',
    options.minRememberDuration ?? seconds(60),
  );
  const followSymlinks = options.followSymlinks ?? false;
  if (typeof followSymlinks !== 'boolean') {
    throw new ConfigurationError('followSymlinks', followSymlinks, 'expected true or false');
  }
  const { policy: onReadError, maxReadAttempts } = resolveReadErrorPolicy(
    options.onReadError,
    options.maxReadAttempts,
  );
  const readBlockSize = requirePositiveInteger(
    'readBlockSize',
    options.readBlockSize ?? DEFAULT_READ_BLOCK_SIZE,
  );
  const batchInterval = ssc.batchInterval;
  const rememberDuration = Math.ceil(minRemember / batchInterval) * batchInterval;
  return new FileInputSource<unknown>({
    directory: path,
    reader: createReader(options, ssc),
    accept,
    newFilesOnly,
    rememberDuration,
    onReadError,
    maxReadAttempts,
    followSymlinks,
    readBlockSize,
    clock: ssc.clock,
    logger: ssc.logger,
  });
}

function createReader(
  options: FileStreamOptions,
  ssc: StreamingContext,
): FileRecordReader<unknown> {
  const format = options.format ?? 'text';
  const policy = options.onDecodeError ?? 'fail';
  if (options.csv !== undefined && format !== 'csv') {
    throw new ConfigurationError('csv', options.csv, "CSV settings apply only with format: 'csv'");
  }
  if (typeof format === 'function') {
    return new LineRecordReader(new RecordDecoding(format, policy, ssc.logger), {
      skipBlankLines: false,
      stripByteOrderMark: false,
      decoderCopies: false,
    });
  }
  switch (format) {
    case 'text':
      return new LineRecordReader<unknown>(new RecordDecoding(stringDecoder, policy, ssc.logger), {
        skipBlankLines: false,
        stripByteOrderMark: true,
        decoderCopies: true,
      });
    case 'jsonl':
      return new LineRecordReader(new RecordDecoding(jsonDecoder, policy, ssc.logger), {
        skipBlankLines: true,
        stripByteOrderMark: true,
        decoderCopies: true,
      });
    case 'csv': {
      const csv = options.csv ?? {};
      requireKnownOptions(csv, ['delimiter', 'maxRecordSize', 'maxFieldSize'], 'csv');
      return new CsvRecordReader(
        resolveDelimiter('csv.delimiter', csv.delimiter),
        resolveCsvLimits(csv),
        policy,
        ssc.logger,
      );
    }
    default:
      throw new ConfigurationError(
        'format',
        format,
        `expected one of ${FORMATS.map((f) => `'${f}'`).join(', ')} or a function (line: Buffer) => record`,
      );
  }
}
