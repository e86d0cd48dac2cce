import { ConfigurationError, requirePositiveInteger } from '@dstream/core';

/** A CSV row read with a header: column name → field text. */
export type CsvRecord = Record<string, string>;

/** CSV settings shared by the CSV file stream and the CSV file sink. */
export interface CsvOptions {
  /** The field separator: one ASCII character other than `"`, `\r` and `\n` (default `,`). */
  readonly delimiter?: string;
}

/** CSV settings of a CSV file stream: the delimiter and the size limits of records. */
export interface CsvStreamOptions extends CsvOptions {
  /**
   * The longest record, in bytes, a CSV file stream reads (default 1 MiB, as
   * {@link DEFAULT_MAX_RECORD_SIZE}). A longer record, or a quoted field left open past it, fails
   * as the record's first line alone and reading goes on at the next line.
   */
  readonly maxRecordSize?: number;
  /** The longest field, in bytes, a CSV file stream reads (default: `maxRecordSize`). */
  readonly maxFieldSize?: number;
}

/** The size limits of CSV records, validated. */
export interface CsvLimits {
  /** The longest record in bytes. */
  readonly maxRecordSize: number;
  /** The longest field in bytes. */
  readonly maxFieldSize: number;
}

/** The default `maxRecordSize` of CSV file streams: 1 MiB. */
export const DEFAULT_MAX_RECORD_SIZE = 1024 * 1024;

/** Validates the size limits of CSV settings. */
export function resolveCsvLimits(csv: CsvStreamOptions): CsvLimits {
  const maxRecordSize = requirePositiveInteger(
    'csv.maxRecordSize',
    csv.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE,
  );
  const maxFieldSize = requirePositiveInteger(
    'csv.maxFieldSize',
    csv.maxFieldSize ?? maxRecordSize,
  );
  return { maxRecordSize, maxFieldSize };
}

export const QUOTE = 0x22;
export const LINE_FEED = 0x0a;
export const CARRIAGE_RETURN = 0x0d;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Validates a delimiter option and returns its byte. */
export function resolveDelimiter(option: string, delimiter: unknown): number {
  const value = delimiter ?? ',';
  if (
    typeof value !== 'string' ||
    value.length !== 1 ||
    value.charCodeAt(0) > 0x7f ||
    value === '"' ||
    value === '\n' ||
    value === '\r'
  ) {
    throw new ConfigurationError(
      option,
      delimiter,
      'expected one ASCII character other than ", \\r and \\n',
    );
  }
  return value.charCodeAt(0);
}

/**
 * The fields of one CSV record (RFC 4180): fields are separated by `delimiter`; a field in double
 * quotes may hold delimiters, line breaks and quotes written twice (`""`). A quote inside an
 * unquoted field is kept as it is. Throws on an unterminated quoted field, text after a closing
 * quote, a field longer than `maxFieldSize` bytes, or invalid UTF-8. `record` holds the record
 * without its line ending.
 */
export function parseCsvFields(
  record: Buffer,
  delimiter: number,
  maxFieldSize = Number.POSITIVE_INFINITY,
): string[] {
  const fields: string[] = [];
  const length = record.length;
  let position = 0;
  for (;;) {
    if (position < length && record[position] === QUOTE) {
      let search = position + 1;
      let escaped = false;
      let closing: number;
      for (;;) {
        closing = record.indexOf(QUOTE, search);
        if (closing === -1) {
          throw new Error(`unterminated quoted field (field ${fields.length + 1})`);
        }
        if (record[closing + 1] !== QUOTE) break;
        escaped = true;
        search = closing + 2;
      }
      if (closing - position - 1 > maxFieldSize)
        throw fieldTooLong(fields.length + 1, maxFieldSize);
      const text = decodeText(record, position + 1, closing);
      fields.push(escaped ? text.replaceAll('""', '"') : text);
      position = closing + 1;
      if (position === length) return fields;
      if (record[position] !== delimiter) {
        throw new Error(`unexpected text after the closing quote of field ${fields.length}`);
      }
      position++;
    } else {
      const next = record.indexOf(delimiter, position);
      const end = next === -1 ? length : next;
      if (end - position > maxFieldSize) throw fieldTooLong(fields.length + 1, maxFieldSize);
      fields.push(decodeText(record, position, end));
      if (next === -1) return fields;
      position = next + 1;
    }
  }
}

function fieldTooLong(field: number, maxFieldSize: number): Error {
  return new Error(`field ${field} is longer than maxFieldSize (${maxFieldSize} bytes)`);
}

function decodeText(bytes: Buffer, start: number, end: number): string {
  if (start === end) return '';
  return utf8.decode(bytes.subarray(start, end));
}

/**
 * A field as CSV text: quoted (with quotes doubled) when it holds the delimiter, a quote, a line
 * break, or starts or ends with a space; as it is otherwise.
 */
export function formatCsvField(text: string, delimiter: string): string {
  if (
    text.includes(delimiter) ||
    text.includes('"') ||
    text.includes('\n') ||
    text.includes('\r') ||
    (text.length > 0 && (text.charCodeAt(0) === 0x20 || text.charCodeAt(text.length - 1) === 0x20))
  ) {
    return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}
