import { RecordDecoding } from '@dstream/core';
import type { DecodeErrorPolicy, Logger } from '@dstream/core';
import { startsWithByteOrderMark, type FileRecordReader } from './file-record-reader.js';
import {
  CARRIAGE_RETURN,
  LINE_FEED,
  QUOTE,
  parseCsvFields,
  type CsvLimits,
  type CsvRecord,
} from './csv-syntax.js';

// States of the record-boundary scanner.
const FIELD_START = 0;
const UNQUOTED = 1;
const IN_QUOTES = 2;
const QUOTE_IN_QUOTES = 3;
const RECORD_END = 4;

// What the scanner found besides a record's end.
/** The record does not end within the bytes at hand. */
const INCOMPLETE = -1;
/** The record or one of its quoted fields passes a size limit. */
const OVER_LIMIT = -2;

/** Returned by the decoder for the header row: it sets the columns and yields no record. */
const HEADER_ROW: unique symbol = Symbol('header row');

/**
 * CSV files with a header row (RFC 4180): the first record names the columns and every other
 * record becomes an object `{ column: field }`. Quoted fields may span lines; blank lines are
 * ignored; a UTF-8 byte order mark is dropped. A record whose field count differs from the
 * header's, or that cannot be parsed, goes through the stream's decode-error policy naming its
 * file and the line it starts on. When the header itself cannot be decoded, every record of
 * the file fails the same way (nothing is dropped silently).
 *
 * Damage stays within one record: a record longer than `maxRecordSize` bytes, a field longer
 * than `maxFieldSize` bytes, and a quoted field still open at the end of the file fail as the
 * record's first line alone, and reading goes on at the next line. So a stray quote costs one
 * record, not the rest of the file.
 */
export class CsvRecordReader implements FileRecordReader<CsvRecord> {
  private readonly decoding: RecordDecoding<CsvRecord | typeof HEADER_ROW>;
  private file = '';
  private line = 0;
  private columns: readonly string[] | undefined;
  private expectHeader = true;
  private atFileStart = true;
  /** Bytes of an over-long line still to be discarded up to its line feed. */
  private discardingLine = false;
  /** Why the record being decoded is rejected before parsing (a limit), if it is. */
  private rejection: string | undefined;
  /** The index of the next quote in the block, cached across records (`end`: none left). */
  private nextQuote = -1;
  /** Line feeds inside the quoted fields of the record last scanned. */
  private lineBreaksInside = 0;
  /** Whether the record last found {@link INCOMPLETE} ends inside a quoted field. */
  private quoteOpenAtEnd = false;
  /** What limit the last {@link OVER_LIMIT} scan passed. */
  private overLimit = '';
  private deadLettersBeforeBlock = 0;
  private readonly describeSource = (): string => `file ${this.file} line ${this.line}`;

  constructor(
    private readonly delimiter: number,
    private readonly limits: CsvLimits,
    policy: DecodeErrorPolicy,
    logger: Logger,
  ) {
    this.decoding = new RecordDecoding<CsvRecord | typeof HEADER_ROW>(
      (payload) => {
        if (this.rejection !== undefined) throw new Error(this.rejection);
        return this.expectHeader ? this.parseHeader(payload) : this.parseRow(payload);
      },
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

  /** Fields are copied into strings: only a dead letter keeps a view of a block. */
  get blockReusable(): boolean {
    return this.decoding.counts.deadLettered === this.deadLettersBeforeBlock;
  }

  beginFile(file: string): void {
    this.file = file;
    this.columns = undefined;
    this.expectHeader = true;
    this.atFileStart = true;
    this.discardingLine = false;
    this.line = 1;
  }

  readBlock(
    block: Buffer,
    start: number,
    end: number,
    endOfFile: boolean,
    out: CsvRecord[],
  ): number {
    this.deadLettersBeforeBlock = this.decoding.counts.deadLettered;
    let position = start;
    if (this.atFileStart) {
      this.atFileStart = false;
      if (startsWithByteOrderMark(block, position)) position += 3;
    }
    if (this.discardingLine) {
      const newline = block.indexOf(LINE_FEED, position);
      if (newline === -1 || newline >= end) return end;
      this.discardingLine = false;
      this.line++;
      position = newline + 1;
    }
    this.nextQuote = -1;
    while (position < end) {
      let recordEnd = this.findRecordEnd(block, position, end);
      if (recordEnd === INCOMPLETE) {
        if (!endOfFile) return position;
        if (!this.quoteOpenAtEnd) {
          recordEnd = end; // the last record, without a line ending
        } else {
          // A quoted field is still open at the end of the file: only the line the record
          // starts on is taken as the bad record, the lines after it are read again as records.
          this.overLimit = 'a quoted field is not closed before the end of the file';
          recordEnd = OVER_LIMIT;
        }
      }
      if (recordEnd === OVER_LIMIT) {
        const newline = block.indexOf(LINE_FEED, position);
        const lineEnd = newline === -1 || newline >= end ? end : newline;
        this.rejection = `${this.overLimit}; the record is rejected up to the end of line ${this.line} and reading goes on at the next line`;
        try {
          this.decodeRecord(block, position, lineEnd, out);
        } finally {
          this.rejection = undefined;
        }
        this.nextQuote = -1;
        if (lineEnd === end && !endOfFile) {
          this.discardingLine = true;
          return end;
        }
        this.line++;
        position = lineEnd + 1;
        continue;
      }
      this.decodeRecord(block, position, recordEnd, out);
      this.line += 1 + this.lineBreaksInside;
      position = recordEnd + 1;
    }
    return end;
  }

  /** Decodes the record in `block[start, end)`, which starts on the current line. */
  private decodeRecord(block: Buffer, start: number, end: number, out: CsvRecord[]): void {
    if (end > start && block[end - 1] === CARRIAGE_RETURN) end--;
    if (end === start && this.rejection === undefined) return; // a blank line
    const record = this.decoding.decode(block.subarray(start, end), this.describeSource);
    if (this.expectHeader) this.expectHeader = false;
    else if (record !== RecordDecoding.SKIPPED && record !== HEADER_ROW) out.push(record);
  }

  /**
   * The index of the line feed ending the record that starts at `start`, {@link INCOMPLETE} when
   * it does not end before `end`, or {@link OVER_LIMIT} when it passes a size limit first.
   */
  private findRecordEnd(content: Buffer, start: number, end: number): number {
    const maxRecordSize = this.limits.maxRecordSize;
    this.lineBreaksInside = 0;
    this.quoteOpenAtEnd = false;
    let newline = content.indexOf(LINE_FEED, start);
    if (newline >= end) newline = -1;
    if (this.nextQuote !== end && this.nextQuote < start) {
      const quote = content.indexOf(QUOTE, start);
      this.nextQuote = quote === -1 || quote >= end ? end : quote;
    }
    if (newline !== -1 && this.nextQuote >= newline) {
      return newline - start > maxRecordSize ? this.recordTooLong() : newline;
    }
    if (newline === -1 && this.nextQuote === end) {
      return end - start > maxRecordSize ? this.recordTooLong() : INCOMPLETE;
    }
    // A quote comes before the line feed: follow the fields, line feeds inside quoted fields
    // do not end the record. A quote opens a quoted field only at the start of a field.
    const delimiter = this.delimiter;
    const maxFieldSize = this.limits.maxFieldSize;
    const last = Math.min(end, start + maxRecordSize + 1);
    let fieldStart = start;
    let state = FIELD_START;
    for (let i = start; i < last; i++) {
      const byte = content[i];
      switch (state) {
        case IN_QUOTES:
          if (byte === QUOTE) state = QUOTE_IN_QUOTES;
          else if (byte === LINE_FEED) this.lineBreaksInside++;
          if (i - fieldStart > maxFieldSize) {
            this.overLimit = `a quoted field is longer than maxFieldSize (${maxFieldSize} bytes)`;
            return OVER_LIMIT;
          }
          break;
        case QUOTE_IN_QUOTES:
          // `""` is an escaped quote; anything else closed the quoted field.
          if (byte === QUOTE) state = IN_QUOTES;
          else state = this.outside(byte, delimiter);
          break;
        case FIELD_START:
          fieldStart = i;
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
    if (last < end) {
      this.overLimit =
        state === IN_QUOTES || state === QUOTE_IN_QUOTES
          ? `a quoted field is not closed within maxRecordSize (${maxRecordSize} bytes)`
          : `the record is longer than maxRecordSize (${maxRecordSize} bytes)`;
      return OVER_LIMIT;
    }
    this.quoteOpenAtEnd = state === IN_QUOTES;
    return INCOMPLETE;
  }

  private recordTooLong(): number {
    this.overLimit = `the record is longer than maxRecordSize (${this.limits.maxRecordSize} bytes)`;
    return OVER_LIMIT;
  }

  /** The scanner's next state for a byte outside quotes. */
  private outside(byte: number, delimiter: number): number {
    if (byte === delimiter) return FIELD_START;
    if (byte === LINE_FEED) return RECORD_END;
    return UNQUOTED;
  }

  private parseHeader(payload: Buffer): typeof HEADER_ROW {
    const columns = parseCsvFields(payload, this.delimiter, this.limits.maxFieldSize);
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
    const fields = parseCsvFields(payload, this.delimiter, this.limits.maxFieldSize);
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
