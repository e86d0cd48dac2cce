import { StringDecoder } from 'node:string_decoder';
import type { RecordFramer } from './record-framer.js';

/**
 * Cuts text into lines ending with `\n` (a `\r` before it is removed). Bytes are decoded with a
 * `StringDecoder`, so a character whose bytes arrive in different packets decodes whole. A line
 * longer than `maxLineLength` characters is never buffered whole: it is reported through
 * `onLineTooLong` and discarded up to the next newline, after which lines flow again. When the
 * connection ends cleanly, text after the last newline is a last line.
 */
export class LineFramer implements RecordFramer<string> {
  private decoder: StringDecoder;
  /** Decoded text not handled yet, from {@link position} on. */
  private text = '';
  private position = 0;
  /** The start of a line whose newline has not arrived. */
  private partial = '';
  /** Dropping an over-long line until its newline. */
  private discarding = false;

  constructor(
    private readonly encoding: BufferEncoding,
    private readonly maxLineLength: number,
    /** Called once per over-long line with its length so far and whether that is its full length. */
    private readonly onLineTooLong: (length: number, complete: boolean) => void,
  ) {
    this.decoder = new StringDecoder(encoding);
  }

  reset(): void {
    this.decoder = new StringDecoder(this.encoding);
    this.text = '';
    this.position = 0;
    this.partial = '';
    this.discarding = false;
  }

  push(chunk: Buffer): void {
    const decoded = this.decoder.write(chunk);
    if (decoded.length === 0) return;
    this.text =
      this.position >= this.text.length ? decoded : this.text.slice(this.position) + decoded;
    this.position = 0;
  }

  drain(emit: (line: string) => boolean): boolean {
    const text = this.text;
    const max = this.maxLineLength;
    for (;;) {
      const start = this.position;
      const newline = text.indexOf('\n', start);
      if (newline === -1) {
        this.keepPartial(text, start);
        this.text = '';
        this.position = 0;
        return true;
      }
      this.position = newline + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      let end = newline;
      if (end > start ? text.charCodeAt(end - 1) === 0x0d : this.partial.endsWith('\r')) end--;
      const length = this.partial.length + (end - start);
      if (length > max) {
        this.partial = '';
        this.onLineTooLong(length, true);
        continue;
      }
      let line: string;
      if (this.partial.length === 0) line = text.slice(start, end);
      else {
        line = end >= start ? this.partial + text.slice(start, end) : this.partial.slice(0, -1);
        this.partial = '';
      }
      if (!emit(line)) return false;
    }
  }

  finish(emit: (line: string) => boolean): void {
    const rest = this.decoder.end();
    if (rest.length > 0) {
      this.text = this.text.slice(this.position) + rest;
      this.position = 0;
    }
    this.drain((line) => {
      emit(line);
      return true;
    });
    if (!this.discarding && this.partial.length > 0) {
      const line = this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial;
      emit(line);
    }
    this.reset();
  }

  private keepPartial(text: string, start: number): void {
    if (start >= text.length) return;
    if (this.discarding) return;
    const length = this.partial.length + (text.length - start);
    // One character of slack: a `\r` whose `\n` has not arrived is not part of the line.
    if (length > this.maxLineLength + 1) {
      this.partial = '';
      this.discarding = true;
      this.onLineTooLong(length, false);
      return;
    }
    this.partial += text.slice(start);
  }
}
