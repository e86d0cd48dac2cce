import { inspect } from 'node:util';

/**
 * Every error dstream raises is a {@link DStreamError}: it has a stable `code` that programs
 * can test, a message that says what was wrong, and the underlying `cause` when there is one.
 */
export class DStreamError extends Error {
  /** A stable identifier of the kind of error, such as `INVALID_CONFIGURATION`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value was invalid: names the option, the value given and what is allowed. */
export class ConfigurationError extends DStreamError {
  /** The option that was wrong, such as `batchInterval`. */
  readonly option: string;
  /** The value that was given. */
  readonly value: unknown;

  constructor(option: string, value: unknown, allowed: string, options?: { cause?: unknown }) {
    super(
      'INVALID_CONFIGURATION',
      `Invalid ${option}: ${describeValue(value)}; ${allowed}`,
      options,
    );
    this.option = option;
    this.value = value;
  }
}

/** An operation was called when the context's lifecycle does not allow it. */
export class IllegalStateError extends DStreamError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A receiver failed: names the receiver and the stream it feeds. */
export class ReceiverError extends DStreamError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** An output operation or sink failed while processing a batch. */
export class OutputOperationError extends DStreamError {
  /** The batch time, in milliseconds, of the batch whose output failed. */
  readonly batchTime: number;

  constructor(batchTime: number, message: string, options?: { cause?: unknown }) {
    super('OUTPUT_OPERATION_FAILED', message, options);
    this.batchTime = batchTime;
  }
}

/** A record could not be decoded; names where it came from. */
export class DecodeError extends DStreamError {
  /** Where the record came from, such as `topic orders partition 3 offset 1200`. */
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super('DECODE_FAILED', `Cannot decode record from ${source}: ${message}`, options);
    this.source = source;
  }
}

/** A short, readable rendering of a configuration value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text === undefined
      ? inspect(value)
      : text.length > 80
        ? `${text.slice(0, 77)}...`
        : text;
  } catch {
    return inspect(value, { depth: 1 });
  }
}

/** A checkpoint or write-ahead log could not be used: corrupt, or written by another graph. */
export class CheckpointError extends DStreamError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
