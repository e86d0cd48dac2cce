import type { RecordFramer } from './record-framer.js';

const HEADER_BYTES = 4;
/** At most this many bytes from a bad header on are handed to `onFrameTooLong` (for a dead letter). */
const MAX_REPORTED_BYTES = 64 * 1024;

/**
 * Cuts bytes into length-prefixed frames: a 4-byte big-endian unsigned length, then that many
 * payload bytes. A frame longer than `maxRecordSize` is never buffered: it is reported through
 * `onRecordTooLarge` and its payload skipped as it arrives, so the stream stays in step. A
 * length above `maxFrameLength` cannot be a real frame: the stream is out of step and nothing
 * after it can be trusted, so it is reported through `onFrameTooLong` with the bytes held from
 * the bad header on, and the framer hands over nothing more until it is reset (the connection
 * must be opened again). Each payload is a buffer of its own (never a view into a larger read
 * buffer).
 */
export class LengthPrefixedFramer implements RecordFramer<Buffer> {
  private chunks: Buffer[] = [];
  /** Bytes buffered in {@link chunks}, from {@link offset} in the first one. */
  private buffered = 0;
  private offset = 0;
  /** Payload bytes of an oversized frame still to skip. */
  private skipping = 0;
  /** A length above `maxFrameLength` was read: the rest of the connection is not framed. */
  private outOfStep = false;

  constructor(
    private readonly maxRecordSize: number,
    private readonly onRecordTooLarge: (size: number) => void,
    private readonly maxFrameLength = 0xffffffff,
    /** Called once with the bad length and a copy of the bytes held from its header on (at most `maxBytes`). */
    private readonly onFrameTooLong: (length: number, bytes: Buffer) => void = () => {},
  ) {}

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.offset = 0;
    this.skipping = 0;
    this.outOfStep = false;
  }

  /** Whether a length above `maxFrameLength` stopped the framing of this connection. */
  get stopped(): boolean {
    return this.outOfStep;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.outOfStep) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  drain(emit: (payload: Buffer) => boolean): boolean {
    for (;;) {
      if (this.skipping > 0) {
        const skipped = Math.min(this.skipping, this.buffered);
        this.consume(skipped, undefined);
        this.skipping -= skipped;
        if (this.skipping > 0) return true;
      }
      if (this.outOfStep || this.buffered < HEADER_BYTES) return true;
      const length = this.readLength();
      if (length > this.maxFrameLength) {
        this.outOfStep = true;
        const held = Buffer.allocUnsafe(Math.min(this.buffered, MAX_REPORTED_BYTES));
        this.consume(held.length, held);
        this.chunks = [];
        this.buffered = 0;
        this.offset = 0;
        this.onFrameTooLong(length, held);
        return true;
      }
      if (length > this.maxRecordSize) {
        this.consume(HEADER_BYTES, undefined);
        this.skipping = length;
        this.onRecordTooLarge(length);
        continue;
      }
      if (this.buffered < HEADER_BYTES + length) return true;
      this.consume(HEADER_BYTES, undefined);
      const payload = Buffer.allocUnsafe(length);
      this.consume(length, payload);
      if (!emit(payload)) return false;
    }
  }

  finish(): void {
    // A frame cut short by the end of the connection is incomplete: nothing to hand over. It
    // stays counted in incompleteBytes() until the next connection resets the framer.
  }

  incompleteBytes(): number {
    return this.outOfStep || this.skipping > 0 ? 0 : this.buffered;
  }

  /** The big-endian length at the read position (4 bytes are buffered). */
  private readLength(): number {
    const first = this.chunks[0];
    if (first.length - this.offset >= HEADER_BYTES) return first.readUInt32BE(this.offset);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    let copied = 0;
    for (let i = 0; copied < HEADER_BYTES; i++) {
      const chunk = this.chunks[i];
      const from = i === 0 ? this.offset : 0;
      copied += chunk.copy(
        header,
        copied,
        from,
        Math.min(chunk.length, from + HEADER_BYTES - copied),
      );
    }
    return header.readUInt32BE(0);
  }

  /** Takes `count` bytes from the front, copying them into `target` when given. */
  private consume(count: number, target: Buffer | undefined): void {
    let remaining = count;
    let written = 0;
    while (remaining > 0) {
      const chunk = this.chunks[0];
      const available = chunk.length - this.offset;
      const taken = Math.min(available, remaining);
      if (target !== undefined) chunk.copy(target, written, this.offset, this.offset + taken);
      written += taken;
      remaining -= taken;
      if (taken === available) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += taken;
      }
    }
    this.buffered -= count;
  }
}
