import type { Logger } from '@dstream/core';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/**
 * The engine's logger in a crash-test child: one line per message on standard output (which
 * the kill loop appends to the workspace's `child.log`), from `minimum` up (default: the
 * `CRASH_TEST_LOG_LEVEL` environment variable, else `info`), with the message,
 * the fields and, for an `err` field, its message chain and code.
 */
export function childLogger(
  minimum: Level = (process.env.CRASH_TEST_LOG_LEVEL as Level | undefined) ?? 'info',
): Logger {
  const threshold = Math.max(0, LEVELS.indexOf(minimum));
  const write =
    (level: Level) =>
    (obj: object, msg?: string): void => {
      if (LEVELS.indexOf(level) < threshold) return;
      process.stdout.write(`${new Date().toISOString()} ${level} ${describe(obj, msg)}\n`);
    };
  const logger: Logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

function describe(obj: object, msg: string | undefined): string {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(obj)) {
    if (name === 'err') continue;
    fields.push(`${name}=${typeof value === 'string' ? value : safeJson(value)}`);
  }
  const err = (obj as { err?: unknown }).err;
  const chain: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    chain.push(typeof code === 'string' ? `[${code}] ${e.message}` : e.message);
    e = e.cause;
  }
  return [msg ?? '', fields.join(' '), chain.length > 0 ? `error: ${chain.join(' <- ')}` : '']
    .filter((part) => part !== '')
    .join(' | ');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}
