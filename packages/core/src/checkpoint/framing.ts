import { crc32 } from '../util/hashing.js';

/** Bytes before each record: its length and its CRC-32, both 32-bit big-endian. */
export const FRAME_HEADER_BYTES = 8;

/** One record framed as `[length][crc32][payload]`. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** The records read from framed bytes, and where the valid data ends. */
export interface UnframedRecords {
  readonly records: Buffer[];
  /** Offset just past the last valid record: everything after it is torn or corrupt. */
  readonly validLength: number;
  /** Why reading stopped before the end, if it did. */
  readonly problem?: 'torn' | 'corrupt';
}

/**
 * Reads framed records until the end or the first record that is cut short (a torn write) or
 * whose CRC does not match (corruption); nothing after that point is ever returned as data.
 */
export function unframe(bytes: Buffer): UnframedRecords {
  const records: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + FRAME_HEADER_BYTES > bytes.length)
      return { records, validLength: offset, problem: 'torn' };
    const length = bytes.readUInt32BE(offset);
    const checksum = bytes.readUInt32BE(offset + 4);
    const start = offset + FRAME_HEADER_BYTES;
    if (start + length > bytes.length) return { records, validLength: offset, problem: 'torn' };
    const payload = bytes.subarray(start, start + length);
    if (crc32(payload) !== checksum) return { records, validLength: offset, problem: 'corrupt' };
    records.push(payload);
    offset = start + length;
  }
  return { records, validLength: offset };
}
