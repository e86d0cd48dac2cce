import { ConfigurationError } from '@dstream/core';

/** A CSV row read with a header: column name → field text. */
export type CsvRecord = Record<string, string>;

/** CSV settings shared by the CSV file stream and the CSV file sink. */
export interface CsvOptions {
  /** The field separator: one ASCII character other than `"`, `\r` and `\n` (default `,`). */
  readonly delimiter?: string;
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
 * quote, or invalid UTF-8. `record` holds the record without its line ending.
 */
export function parseCsvFields(record: Buffer, delimiter: number): string[] {
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
      fields.push(decodeText(record, position, end));
      if (next === -1) return fields;
      position = next + 1;
    }
  }
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
