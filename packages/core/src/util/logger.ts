/**
 * The logger dstream writes through: the subset of pino's API it uses, so a pino logger can be
 * passed as it is. Library code never writes to the console except `print()`.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

/**
 * A logger that discards everything. The default logger writes warnings and errors to stderr
 * (see `stderrLogger`); pass `silentLogger` as the `logger` option to choose silence.
 */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** The bindings of the loggers made by {@link childLogger}, merged with their parents'. */
const bindingsOf = new WeakMap<Logger, Readonly<Record<string, unknown>>>();

/**
 * `logger.child(bindings)` when the logger supports it, a logger passing everything to `logger`
 * otherwise. The engine remembers the bindings (see {@link loggerBindings}).
 */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  const child: Logger = logger.child
    ? logger.child(bindings)
    : {
        debug: (obj, msg) => logger.debug({ ...bindings, ...obj }, msg),
        info: (obj, msg) => logger.info({ ...bindings, ...obj }, msg),
        warn: (obj, msg) => logger.warn({ ...bindings, ...obj }, msg),
        error: (obj, msg) => logger.error({ ...bindings, ...obj }, msg),
      };
  bindingsOf.set(child, { ...bindingsOf.get(logger), ...bindings });
  return child;
}

/** The bindings a logger made by {@link childLogger} carries (such as a receiver's `streamId`). */
export function loggerBindings(logger: Logger): Readonly<Record<string, unknown>> | undefined {
  return bindingsOf.get(logger);
}
