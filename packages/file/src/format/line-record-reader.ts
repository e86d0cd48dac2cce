import { RecordDecoding } from '@dstream/core';
import { startsWithByteOrderMark, type FileRecordReader } from './file-record-reader.js';

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** How a {@link LineRecordReader} treats lines. */
export interface LineReaderSettings {
  /** Drop lines holding only spaces and tabs instead of decoding them (JSON lines). */
  readonly skipBlankLines: boolean;
  /** Drop a UTF-8 byte order mark at the start of a file (text formats). */
  readonly stripByteOrderMark: boolean;
  /** Whether the decoder copies what it keeps of a line (never returns a view of its bytes). */
  readonly decoderCopies: boolean;
}

/**
 * One record per line: lines end with `\n`, a `\r` before it is removed, and a last line without
 * a newline counts. Each line goes through the stream's {@link RecordDecoding}, so a line that
 * cannot be decoded fails, is skipped or is dead-lettered naming its file and line number.
 */
export class LineRecordReader<T> implements FileRecordReader<T> {
  private file = '';
  private line = 0;
  private atFileStart = true;
  private deadLettersBeforeBlock = 0;
  /** Where the current record came from; one function per reader, not per record. */
  private readonly describeSource = (): string => `file ${this.file} line ${this.line}`;

  constructor(
    private readonly decoding: RecordDecoding<T>,
    private readonly settings: LineReaderSettings,
  ) {}

  get decodeFailures(): number {
    return this.decoding.counts.skipped + this.decoding.counts.deadLettered;
  }

  pendingDeadLetters(): Promise<void> {
    return this.decoding.pendingDeadLetters();
  }

  get blockReusable(): boolean {
    return (
      this.settings.decoderCopies &&
      this.decoding.counts.deadLettered === this.deadLettersBeforeBlock
    );
  }

  beginFile(file: string): void {
    this.file = file;
    this.line = 0;
    this.atFileStart = true;
  }

  readBlock(block: Buffer, start: number, end: number, endOfFile: boolean, out: T[]): number {
    this.deadLettersBeforeBlock = this.decoding.counts.deadLettered;
    if (this.atFileStart) {
      this.atFileStart = false;
      if (this.settings.stripByteOrderMark && startsWithByteOrderMark(block, start)) start += 3;
    }
    const skipBlank = this.settings.skipBlankLines;
    while (start < end) {
      const newline = block.indexOf(LINE_FEED, start);
      if ((newline === -1 || newline >= end) && !endOfFile) return start;
      const lineEnd = newline === -1 || newline >= end ? end : newline;
      let recordEnd = lineEnd;
      if (recordEnd > start && block[recordEnd - 1] === CARRIAGE_RETURN) recordEnd--;
      this.line++;
      if (!skipBlank || !isBlank(block, start, recordEnd)) {
        const record = this.decoding.decode(block.subarray(start, recordEnd), this.describeSource);
        if (record !== RecordDecoding.SKIPPED) out.push(record);
      }
      start = lineEnd + 1;
    }
    return end;
  }
}

function isBlank(content: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = content[i];
    if (byte !== SPACE && byte !== TAB && byte !== CARRIAGE_RETURN) return false;
  }
  return true;
}
