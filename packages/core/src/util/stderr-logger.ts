import type { Logger } from './logger.js';

/** The levels a {@link stderrLogger} can be set to, from the most to the least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Settings of a {@link stderrLogger}. */
export interface StderrLoggerOptions {
  /** The least severe level written (default `'warn'`: warnings and errors). */
  readonly level?: LogLevel;
  /** Where lines go (default: `process.stderr`); anything with a `write(line)` method. */
  readonly destination?: { write(line: string): unknown };
  /** Fields added to every line, as `child()` adds them. */
  readonly bindings?: Readonly<Record<string, unknown>>;
}

const SEVERITY: Readonly<Record<LogLevel, number>> = {
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  silent: Infinity,
};

const LABEL: Readonly<Record<Exclude<LogLevel, 'silent'>, string>> = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

/**
 * A logger writing one line per entry to stderr: time, level, the stream or receiver it concerns
 * (the bindings of `child()`, such as `receiver=… streamId=3`), the message and its fields. An
 * error's message and code are kept on the same line; its stack is left out. The default logger
 * of a `StreamingContext` is `stderrLogger()` (warnings and errors); pass `silentLogger` to
 * silence it, or any pino-compatible logger instead.
 */
export function stderrLogger(options: StderrLoggerOptions = {}): Logger {
  const level = options.level ?? 'warn';
  if (!(level in SEVERITY)) {
    throw new TypeError(
      `stderrLogger level: expected 'debug', 'info', 'warn', 'error' or 'silent', got ${String(level)}`,
    );
  }
  return new StderrLogger(
    SEVERITY[level],
    options.destination ?? process.stderr,
    formatFields(options.bindings ?? {}),
  );
}

class StderrLogger implements Logger {
  constructor(
    private readonly threshold: number,
    private readonly destination: { write(line: string): unknown },
    /** The bindings, already formatted as ` key=value…`. */
    private readonly prefix: string,
  ) {}

  debug(obj: object, msg?: string): void {
    if (this.threshold <= SEVERITY.debug) this.write('debug', obj, msg);
  }

  info(obj: object, msg?: string): void {
    if (this.threshold <= SEVERITY.info) this.write('info', obj, msg);
  }

  warn(obj: object, msg?: string): void {
    if (this.threshold <= SEVERITY.warn) this.write('warn', obj, msg);
  }

  error(obj: object, msg?: string): void {
    if (this.threshold <= SEVERITY.error) this.write('error', obj, msg);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new StderrLogger(this.threshold, this.destination, this.prefix + formatFields(bindings));
  }

  private write(level: Exclude<LogLevel, 'silent'>, obj: object, msg: string | undefined): void {
    const message = oneLine(msg ?? '');
    const fields = formatFields(obj as Record<string, unknown>);
    this.destination.write(
      `${new Date().toISOString()} ${LABEL[level]} [dstream${this.prefix}] ${message}${fields}\n`,
    );
  }
}

/** ` key=value` for every defined field; strings with spaces are quoted; newlines become `\n`. */
function formatFields(fields: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) continue;
    out += ` ${key}=${formatValue(value)}`;
  }
  return out;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const text = typeof code === 'string' ? `${code}: ${value.message}` : value.message;
    return JSON.stringify(text);
  }
  if (typeof value === 'string') {
    return /^[\w.:/@#()-]+$/.test(value) ? value : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  try {
    return oneLine(JSON.stringify(value) ?? String(value));
  } catch {
    return JSON.stringify(String(value));
  }
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
