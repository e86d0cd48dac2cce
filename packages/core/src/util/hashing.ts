import * as zlib from 'node:zlib';
import { encodeCompositeKey, isPrimitiveKey } from './key-encoding.js';

/** FNV-1a over the UTF-16 code units of a string: fast, stable across runs and processes. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A stable, non-negative 32-bit hash of a key by value: equal keys (by the rules of
 * {@link encodeCompositeKey}) hash equally in every process, so partitioning is reproducible.
 */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return hashString(key);
    case 'number':
      if (Number.isInteger(key) && key >= -0x80000000 && key <= 0x7fffffff) {
        return Math.imul(key | 0, 0x9e3779b1) >>> 0;
      }
      return hashString(String(key));
    case 'boolean':
      return key ? 1231 : 1237;
    case 'bigint':
      return hashString(key.toString());
    case 'undefined':
      return 0;
    default:
      if (key === null) return 0;
      return hashString(isPrimitiveKey(key) ? String(key) : encodeCompositeKey(key));
  }
}

/** The partition, in `[0, numPartitions)`, that a key belongs to. */
export function partitionOf(key: unknown, numPartitions: number): number {
  return numPartitions === 1 ? 0 : hashKey(key) % numPartitions;
}

/** CRC-32 (IEEE) of a byte array, for framing write-ahead log and checkpoint records. */
export function crc32(bytes: Uint8Array): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(bytes);
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * zlib's CRC-32 (Node 20.15 and later): the same values, several times faster than the table,
 * which matters on the write-ahead log's path, where every received byte is checksummed.
 */
const nativeCrc32: ((bytes: Uint8Array) => number) | undefined =
  typeof zlib.crc32 === 'function' ? (bytes) => zlib.crc32(bytes) : undefined;

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();
