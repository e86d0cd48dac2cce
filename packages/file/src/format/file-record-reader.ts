/**
 * Turns the content of one file into records. Readers are created once per stream and used for
 * one file at a time; they apply the stream's decode-error policy.
 */
export interface FileRecordReader<T> {
  /** Decodes `content`, read from `file`, appending the records to `out`. */
  readRecords(content: Buffer, file: string, out: T[]): void;
  /** Resolves once every undecodable record handed to a dead-letter sink so far is written. */
  pendingDeadLetters(): Promise<void>;
  /** Records skipped or dead-lettered so far by this reader. */
  readonly decodeFailures: number;
}

/** Whether `content` starts with a UTF-8 byte order mark. */
export function startsWithByteOrderMark(content: Buffer): boolean {
  return content.length >= 3 && content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf;
}
