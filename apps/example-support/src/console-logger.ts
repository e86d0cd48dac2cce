import type { Logger } from '@dstream/core';

/**
 * A logger for the engine that writes warnings and errors as single lines through `write`
 * (standard error in the application) and drops debug and info messages.
 */
export function consoleLogger(write: (line: string) => void): Logger {
  return {
    debug() {},
    info() {},
    warn(obj, msg) {
      write(`[warn] ${describe(obj, msg)}`);
    },
    error(obj, msg) {
      write(`[error] ${describe(obj, msg)}`);
    },
  };
}

function describe(obj: object, msg: string | undefined): string {
  const err = (obj as { err?: unknown }).err;
  const details: string[] = [];
  if (err instanceof Error) {
    details.push(err.message);
    if (err.cause instanceof Error && !err.message.includes(err.cause.message)) {
      details.push(err.cause.message);
    }
  }
  return [msg, ...details].filter((part) => part !== undefined && part !== '').join(': ');
}
