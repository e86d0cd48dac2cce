import { ConfigurationError, DStreamError, IllegalArgumentError } from '@dstream/core';
import { processConsole, type AppConsole } from './app-console.js';
import type { CommandLine, Environment } from './command-line-options.js';

/** What {@link runCommandLineMain} needs of an application. */
export interface CommandLineApp<C> {
  /** Reads the command line and the environment; `cwd` resolves relative paths. */
  parseCommandLine(argv: readonly string[], env: Environment, cwd: string): CommandLine<C>;
  helpText(): string;
  /** Runs the application; an `error` makes the process exit with status 1. */
  run(config: C, io: AppConsole): Promise<{ readonly error: unknown }>;
}

/**
 * The `main` of a sample application: prints the help or runs the application with the process's
 * arguments and environment, then exits with 0 (done), 1 (the run failed) or 2 (bad options,
 * with a hint at `--help`). A relative path is taken from where the command was typed
 * (`INIT_CWD`, as npm and pnpm run scripts in the package's directory).
 */
export async function runCommandLineMain<C>(
  app: CommandLineApp<C>,
  io: AppConsole = processConsole,
): Promise<void> {
  const cwd = process.env.INIT_CWD ?? process.cwd();
  try {
    const commandLine = app.parseCommandLine(process.argv.slice(2), process.env, cwd);
    if (commandLine.kind === 'help') {
      io.out(app.helpText());
      finish(0);
    } else {
      const { error } = await app.run(commandLine.config, io);
      finish(error === undefined ? 0 : 1);
    }
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}`);
    if (isUsageError(error)) {
      io.err('Run with --help for the options.');
      finish(2);
    } else {
      finish(1);
    }
  }
}

/** Whether `error` says the options are wrong (rather than that the run failed). */
export function isUsageError(error: unknown): boolean {
  return (
    error instanceof ConfigurationError ||
    error instanceof IllegalArgumentError ||
    (error instanceof DStreamError && error.code === 'INVALID_ARGUMENTS')
  );
}

/** Exits with `code` once output is flushed, even if a connection still lingers. */
function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 3_000).unref();
}
