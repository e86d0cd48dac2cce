import { DStreamError } from '@dstream/core';

/**
 * A file or directory operation of a file stream or file sink failed. `code` says which
 * (`FILE_LISTING_FAILED`, `FILE_READ_FAILED`, `FILE_WRITE_FAILED`, `RECORD_NOT_WRITABLE`) and
 * `path` names the file or directory concerned; `cause` holds the underlying error.
 */
export class FileError extends DStreamError {
  /** The file or directory the error concerns. */
  readonly path: string;

  constructor(code: string, path: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.path = path;
  }
}

/** The message of an error of unknown type. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
