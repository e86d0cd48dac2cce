/**
 * Turns the content of one file into records, block by block: a file is read in blocks of
 * bounded size and each block is handed over with the bytes of the record the previous block
 * ended inside, so memory stays a few blocks' worth whatever the file's size. Readers are
 * created once per stream and used for one file at a time; they apply the stream's
 * decode-error policy.
 */
export interface FileRecordReader<T> {
  /** Starts reading `file`: line numbers and per-file state (such as a CSV header) start afresh. */
  beginFile(file: string): void;
  /**
   * Decodes the complete records in `block` from `start` to `end`, appending them to `out`, and
   * returns where the first incomplete record starts (`end` when none is): those bytes are
   * handed over again, followed by the next block's. With `endOfFile` everything is decoded.
   */
  readBlock(block: Buffer, start: number, end: number, endOfFile: boolean, out: T[]): number;
  /** Resolves once every undecodable record handed to a dead-letter sink so far is written. */
  pendingDeadLetters(): Promise<void>;
  /** Records skipped or dead-lettered so far by this reader. */
  readonly decodeFailures: number;
  /**
   * Whether the block last given to {@link readBlock} may be overwritten now: no record and no
   * dead letter keeps a view of its bytes (decoders that copy what they keep, such as the text,
   * JSON and CSV ones, and no dead letter written from it).
   */
  readonly blockReusable: boolean;
}

/** Whether `content` holds a UTF-8 byte order mark at `start`. */
export function startsWithByteOrderMark(content: Buffer, start = 0): boolean {
  return (
    content.length >= start + 3 &&
    content[start] === 0xef &&
    content[start + 1] === 0xbb &&
    content[start + 2] === 0xbf
  );
}
