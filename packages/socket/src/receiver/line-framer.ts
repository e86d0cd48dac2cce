import { isUtf8 } from 'node:buffer';
import type { RecordFramer } from './record-framer.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const EMPTY = Buffer.alloc(0);

/** The text encodings a line stream accepts, lower-case: those in which a newline is findable in the bytes. */
export const LINE_ENCODINGS: readonly string[] = [
  'utf8',
  'utf-8',
  'latin1',
  'binary',
  'ascii',
  'utf16le',
  'utf-16le',
  'ucs2',
  'ucs-2',
];

/** What the framer does with a line that is not valid in its encoding: the stream's decode-error policy. */
export type UndecodableLineHandler = (bytes: Buffer) => void;

/**
 * Cuts bytes into lines ending with `\n` (a `\r` before it is removed) and decodes each line
 * whole, so a character whose bytes arrive in different packets decodes correctly. UTF-8 lines
 * are validated: a line with invalid UTF-8 is handed, as bytes, to `onUndecodable` (never
 * decoded into replacement characters). A line longer than `maxLineLength` characters is never
 * buffered whole: it is reported through `onLineTooLong` and discarded up to the next newline,
 * after which lines flow again. When the connection ends cleanly, text after the last newline is
 * a last line.
 */
export class LineFramer implements RecordFramer<string> {
  /** Bytes not handled yet, from {@link position} (the start of the current line) on. */
  private pending: Buffer = EMPTY;
  private position = 0;
  /** Bytes after {@link position} already searched for a newline. */
  private scanned = 0;
  /** Characters counted in the first {@link counted} bytes of the current line. */
  private characters = 0;
  private counted = 0;
  /**
   * Complete lines decoded at once, each ending with `\n`, handed over from
   * {@link regionPosition} on; their bytes are already consumed from {@link pending}.
   */
  private region = '';
  private regionPosition = 0;
  /** Up to this index of {@link pending}, lines are decoded one by one (they hold invalid bytes). */
  private lineByLineUntil = -1;
  /** Dropping an over-long line until its newline. */
  private discarding = false;
  /** Bytes per code unit: 2 for UTF-16LE, where a newline is `0A 00` at an even offset. */
  private readonly width: 1 | 2;
  private readonly utf8: boolean;

  constructor(
    private readonly encoding: BufferEncoding,
    private readonly maxLineLength: number,
    /** Called once per over-long line with its length so far and whether that is its full length. */
    private readonly onLineTooLong: (length: number, complete: boolean) => void,
    /** Called with a copy of the bytes of each line that is not valid text. */
    private readonly onUndecodable: UndecodableLineHandler = () => {},
  ) {
    const name = encoding.toLowerCase();
    if (!LINE_ENCODINGS.includes(name)) {
      throw new RangeError(`LineFramer cannot find lines in the '${encoding}' encoding`);
    }
    this.width =
      name.startsWith('utf16') || name.startsWith('utf-16') || name.startsWith('ucs') ? 2 : 1;
    this.utf8 = name === 'utf8' || name === 'utf-8';
  }

  reset(): void {
    this.pending = EMPTY;
    this.position = 0;
    this.discarding = false;
    this.region = '';
    this.regionPosition = 0;
    this.lineByLineUntil = -1;
    this.startLine();
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.lineByLineUntil -= this.position;
    this.pending =
      this.position >= this.pending.length
        ? chunk
        : Buffer.concat([this.pending.subarray(this.position), chunk]);
    this.position = 0;
  }

  drain(emit: (line: string) => boolean): boolean {
    for (;;) {
      if (this.region.length > 0) {
        if (!this.drainRegion(emit)) return false;
        continue;
      }
      if (this.openRegion()) continue;
      const newline = this.findNewline();
      if (newline === -1) {
        this.keepPartial();
        return true;
      }
      const start = this.position;
      this.position = newline + this.width;
      this.startLine();
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (!this.handleLine(start, newline, emit)) return false;
    }
  }

  finish(emit: (line: string) => boolean): void {
    this.drain((line) => {
      emit(line);
      return true;
    });
    const end = this.pending.length - ((this.pending.length - this.position) % this.width);
    if (!this.discarding && end > this.position) {
      this.handleLine(this.position, end, emit);
    }
    this.reset();
  }

  incompleteBytes(): number {
    return this.discarding ? 0 : this.pending.length - this.position;
  }

  /**
   * Decodes every complete line buffered into {@link region} at once, when their bytes are valid
   * text in the encoding (the common case, and the fast one); `false` when there is no complete
   * line or lines must be decoded one by one (UTF-16, invalid UTF-8, a line being discarded).
   */
  private openRegion(): boolean {
    if (this.width !== 1 || this.discarding || this.position <= this.lineByLineUntil) return false;
    const buffer = this.pending;
    const last = buffer.lastIndexOf(NEWLINE);
    if (last < this.position) return false;
    if (this.utf8 && !isUtf8(buffer.subarray(this.position, last + 1))) {
      this.lineByLineUntil = last;
      return false;
    }
    this.region = buffer.toString(this.encoding, this.position, last + 1);
    this.regionPosition = 0;
    this.position = last + 1;
    this.startLine();
    return true;
  }

  /** Hands over the lines of {@link region}; `false` asks to pause. */
  private drainRegion(emit: (line: string) => boolean): boolean {
    const text = this.region;
    const max = this.maxLineLength;
    let next = this.regionPosition;
    while (next < text.length) {
      const start = next;
      const newline = text.indexOf('\n', start);
      next = newline + 1;
      const end = newline > start && text.charCodeAt(newline - 1) === 0x0d ? newline - 1 : newline;
      if (end - start > max) {
        this.onLineTooLong(end - start, true);
        continue;
      }
      if (!emit(text.slice(start, end))) {
        this.regionPosition = next;
        if (next >= text.length) this.region = '';
        return false;
      }
    }
    this.region = '';
    return true;
  }

  private startLine(): void {
    this.scanned = 0;
    this.characters = 0;
    this.counted = 0;
  }

  /** The index of the newline ending the current line, or -1 when it has not arrived. */
  private findNewline(): number {
    const buffer = this.pending;
    const start = this.position;
    let from = start + this.scanned;
    for (;;) {
      const index = buffer.indexOf(NEWLINE, from);
      if (index === -1) {
        this.scanned = buffer.length - start;
        return -1;
      }
      if (this.width === 1) return index;
      if (index + 1 >= buffer.length) {
        this.scanned = index - start;
        return -1;
      }
      if ((index - start) % 2 === 0 && buffer[index + 1] === 0) return index;
      from = index + 1;
    }
  }

  /** Checks, decodes and hands over the line in `[start, end)`; `false` asks to pause. */
  private handleLine(start: number, end: number, emit: (line: string) => boolean): boolean {
    const buffer = this.pending;
    if (end - start >= this.width && this.isCarriageReturn(buffer, end - this.width)) {
      end -= this.width;
    }
    if (end - start > this.maxLineLength) {
      const length = this.countCharacters(buffer, start, end);
      if (length > this.maxLineLength) {
        this.onLineTooLong(length, true);
        return true;
      }
    }
    if (this.utf8 && !isUtf8(buffer.subarray(start, end))) {
      this.onUndecodable(Buffer.from(buffer.subarray(start, end)));
      return true;
    }
    return emit(buffer.toString(this.encoding, start, end));
  }

  private isCarriageReturn(buffer: Buffer, index: number): boolean {
    return buffer[index] === CARRIAGE_RETURN && (this.width === 1 || buffer[index + 1] === 0);
  }

  /** Keeps the start of a line whose newline has not arrived, or starts discarding it when too long. */
  private keepPartial(): void {
    const buffer = this.pending;
    const start = this.position;
    if (this.discarding) {
      // Keep a trailing half code unit so that UTF-16 stays aligned.
      this.pending = EMPTY;
      const odd = (buffer.length - start) % this.width;
      if (odd > 0) this.pending = Buffer.from(buffer.subarray(buffer.length - odd));
      this.position = 0;
      this.startLine();
      return;
    }
    if (start >= buffer.length) {
      this.pending = EMPTY;
      this.position = 0;
      return;
    }
    const end = buffer.length;
    if (end - start <= this.maxLineLength + 1) return;
    this.characters += this.countCharacters(buffer, start + this.counted, end);
    this.counted = end - start;
    // One character of slack: a `\r` whose `\n` has not arrived is not part of the line.
    if (this.characters > this.maxLineLength + 1) {
      const length = this.characters;
      this.discarding = true;
      this.position = end - ((end - start) % this.width);
      this.keepPartial();
      this.onLineTooLong(length, false);
    }
  }

  /** Characters (UTF-16 code units, as `string.length` counts them) the bytes `[start, end)` decode to. */
  private countCharacters(buffer: Buffer, start: number, end: number): number {
    if (this.width === 2) return (end - start) >> 1;
    if (!this.utf8) return end - start;
    let count = 0;
    for (let i = start; i < end; i++) {
      const byte = buffer[i];
      if ((byte & 0xc0) !== 0x80) count++;
      if (byte >= 0xf0) count++;
    }
    return count;
  }
}
