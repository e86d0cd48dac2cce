import { RecordDecoding } from '@dstream/core';
import type { DecodeErrorPolicy, Logger } from '@dstream/core';
import { startsWithByteOrderMark, type FileRecordReader } from './file-record-reader.js';
import { CARRIAGE_RETURN, LINE_FEED, QUOTE, parseCsvFields, type CsvRecord } from './csv-syntax.js';

// States of the record-boundary scanner.
const FIELD_START = 0;
const UNQUOTED = 1;
const IN_QUOTES = 2;
const QUOTE_IN_QUOTES = 3;
const RECORD_END = 4;

/** Returned by the decoder for the header row: it sets the columns and yields no record. */
const HEADER_ROW: unique symbol = Symbol('header row');

/**
 * CSV files with a header row (RFC 4180): the first record names the columns and every other
 * record becomes an object `{ column: field }`. Quoted fields may span lines; blank lines are
 * ignored; a UTF-8 byte order mark is dropped. A record whose field count differs from the
 * header's, or that cannot be parsed, goes through the stream's decode-error policy naming its
 * file and the line it starts on. When the header itself cannot be decoded, every record of
 * the file fails the same way (nothing is dropped silently).
 */
export class CsvRecordReader implements FileRecordReader<CsvRecord> {
  private readonly decoding: RecordDecoding<CsvRecord | typeof HEADER_ROW>;
  private file = '';
  private line = 0;
  private columns: readonly string[] | undefined;
  private expectHeader = true;
  private nextQuote = -1;
  private readonly describeSource = (): string => `file ${this.file} line ${this.line}`;

  constructor(
    private readonly delimiter: number,
    policy: DecodeErrorPolicy,
    logger: Logger,
  ) {
    this.decoding = new RecordDecoding<CsvRecord | typeof HEADER_ROW>(
      (payload) => (this.expectHeader ? this.parseHeader(payload) : this.parseRow(payload)),
      policy,
      logger,
    );
  }

  get decodeFailures(): number {
    return this.decoding.counts.skipped + this.decoding.counts.deadLettered;
  }

  pendingDeadLetters(): Promise<void> {
    return this.decoding.pendingDeadLetters();
  }

  readRecords(content: Buffer, file: string, out: CsvRecord[]): void {
    this.file = file;
    this.columns = undefined;
    this.expectHeader = true;
    this.nextQuote = -1;
    const length = content.length;
    let position = startsWithByteOrderMark(content) ? 3 : 0;
    let line = 1;
    while (position < length) {
      const recordEnd = this.findRecordEnd(content, position);
      this.line = line;
      line += 1 + this.lineBreaksInside;
      let end = recordEnd;
      if (end > position && content[end - 1] === CARRIAGE_RETURN) end--;
      if (end > position) {
        const record = this.decoding.decode(content.subarray(position, end), this.describeSource);
        if (this.expectHeader) this.expectHeader = false;
        else if (record !== RecordDecoding.SKIPPED && record !== HEADER_ROW) out.push(record);
      }
      position = recordEnd + 1;
    }
  }

  private lineBreaksInside = 0;

  /** The index of the line feed ending the record that starts at `start` (or the content's length). */
  private findRecordEnd(content: Buffer, start: number): number {
    const length = content.length;
    let newline = content.indexOf(LINE_FEED, start);
    if (newline === -1) newline = length;
    if (this.nextQuote !== length && this.nextQuote < start) {
      const quote = content.indexOf(QUOTE, start);
      this.nextQuote = quote === -1 ? length : quote;
    }
    this.lineBreaksInside = 0;
    if (this.nextQuote >= newline) return newline;
    // A quote comes before the line feed: follow the fields, line feeds inside quoted fields
    // do not end the record. A quote opens a quoted field only at the start of a field.
    const delimiter = this.delimiter;
    let state = FIELD_START;
    for (let i = start; i < length; i++) {
      const byte = content[i];
      switch (state) {
        case IN_QUOTES:
          if (byte === QUOTE) state = QUOTE_IN_QUOTES;
          else if (byte === LINE_FEED) this.lineBreaksInside++;
          break;
        case QUOTE_IN_QUOTES:
          // `""` is an escaped quote; anything else closed the quoted field.
          if (byte === QUOTE) state = IN_QUOTES;
          else state = this.outside(byte, delimiter);
          break;
        case FIELD_START:
          if (byte === QUOTE) state = IN_QUOTES;
          else state = this.outside(byte, delimiter);
          break;
        default:
          state = this.outside(byte, delimiter);
      }
      if (state === RECORD_END) {
        this.nextQuote = -1;
        return i;
      }
    }
    this.nextQuote = -1;
    return length;
  }

  /** The scanner's next state for a byte outside quotes. */
  private outside(byte: number, delimiter: number): number {
    if (byte === delimiter) return FIELD_START;
    if (byte === LINE_FEED) return RECORD_END;
    return UNQUOTED;
  }

  private parseHeader(payload: Buffer): typeof HEADER_ROW {
    const columns = parseCsvFields(payload, this.delimiter);
    const seen = new Set<string>();
    for (const column of columns) {
      if (column === '__proto__')
        throw new Error('the header names a column "__proto__", which is not allowed');
      if (seen.has(column)) throw new Error(`the header names column "${column}" twice`);
      seen.add(column);
    }
    this.columns = columns;
    return HEADER_ROW;
  }

  private parseRow(payload: Buffer): CsvRecord {
    const columns = this.columns;
    if (columns === undefined) throw new Error('the file has no valid header row');
    const fields = parseCsvFields(payload, this.delimiter);
    if (fields.length !== columns.length) {
      throw new Error(
        `expected ${columns.length} fields (${columns.join(', ')}) but found ${fields.length}`,
      );
    }
    const record: CsvRecord = {};
    for (let i = 0; i < columns.length; i++) record[columns[i]] = fields[i];
    return record;
  }
}
