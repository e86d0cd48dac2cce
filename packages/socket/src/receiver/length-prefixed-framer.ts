import type { RecordFramer } from './record-framer.js';

const HEADER_BYTES = 4;

/**
 * Cuts bytes into length-prefixed frames: a 4-byte big-endian unsigned length, then that many
 * payload bytes. A frame longer than `maxRecordSize` is never buffered: it is reported through
 * `onRecordTooLarge` and its payload skipped as it arrives, so the stream stays in step. Each
 * payload is a buffer of its own (never a view into a larger read buffer).
 */
export class LengthPrefixedFramer implements RecordFramer<Buffer> {
  private chunks: Buffer[] = [];
  /** Bytes buffered in {@link chunks}, from {@link offset} in the first one. */
  private buffered = 0;
  private offset = 0;
  /** Payload bytes of an oversized frame still to skip. */
  private skipping = 0;

  constructor(
    private readonly maxRecordSize: number,
    private readonly onRecordTooLarge: (size: number) => void,
  ) {}

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.offset = 0;
    this.skipping = 0;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
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
      if (this.buffered < HEADER_BYTES) return true;
      const length = this.readLength();
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
    // A frame cut short by the end of the connection is incomplete: nothing to hand over.
    this.reset();
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
