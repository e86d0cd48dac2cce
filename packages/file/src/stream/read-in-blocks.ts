import type { FileHandle } from 'node:fs/promises';
import type { FileRecordReader } from '../format/file-record-reader.js';
import { FileError, messageOf } from '../file-error.js';

/** How many bytes a file stream reads from a file at a time, unless told otherwise: 1 MiB. */
export const DEFAULT_READ_BLOCK_SIZE = 1024 * 1024;

/**
 * Reads the first `length` bytes of an open file block by block and decodes them with `reader`
 * into `out`. Memory holds one block plus the bytes of the record a block ended inside (a
 * block grows only for a record longer than itself), so it stays bounded whatever the file's
 * size. A block is read into again only when the reader says nothing keeps a view of it
 * ({@link FileRecordReader.blockReusable}); otherwise the next block is a new buffer.
 *
 * Returns how many bytes were read: less than `length` when the file was shorter (it shrank
 * since it was listed). A failing read throws a `FILE_READ_FAILED` {@link FileError}; decoding
 * errors come through as the reader throws them.
 */
export async function readRecordsInBlocks<T>(
  handle: FileHandle,
  path: string,
  length: number,
  reader: FileRecordReader<T>,
  out: T[],
  blockSize: number,
): Promise<number> {
  reader.beginFile(path);
  let block = Buffer.allocUnsafe(Math.min(blockSize, length));
  let end = 0;
  let position = 0;
  for (;;) {
    let shorter = false;
    while (end < block.length && position < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(
          block,
          end,
          Math.min(block.length - end, length - position),
          position,
        ));
      } catch (error) {
        throw readFailure(path, error);
      }
      if (bytesRead === 0) {
        shorter = true;
        break;
      }
      end += bytesRead;
      position += bytesRead;
    }
    const endOfFile = shorter || position >= length;
    const consumed = reader.readBlock(block, 0, end, endOfFile, out);
    if (endOfFile) return position;
    // Carry the incomplete record over to the front of a new block (a larger one when the
    // record already fills half of a block).
    const tail = end - consumed;
    if (tail * 2 <= block.length && reader.blockReusable) {
      block.copyWithin(0, consumed, end);
    } else {
      const size = tail * 2 > blockSize ? Math.max(blockSize, tail * 2) : blockSize;
      const next = Buffer.allocUnsafe(Math.min(size, tail + length - position));
      block.copy(next, 0, consumed, end);
      block = next;
    }
    end = tail;
  }
}

/** The `FILE_READ_FAILED` error for `path`. */
export function readFailure(path: string, error: unknown): FileError {
  return new FileError('FILE_READ_FAILED', path, `Cannot read file ${path}: ${messageOf(error)}`, {
    cause: error,
  });
}
