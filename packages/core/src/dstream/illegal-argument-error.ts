import { DStreamError } from '../util/errors.js';

/** An operation was given arguments that break its rules (durations, streams, functions). */
export class IllegalArgumentError extends DStreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ILLEGAL_ARGUMENT', message, options);
  }
}
