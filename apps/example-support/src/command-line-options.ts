import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, DStreamError } from '@dstream/core';
import { parseDuration } from './duration-option.js';

/** An option of the command line, with the environment variable that sets it too. */
export interface OptionSpec {
  /** The flag without its dashes, such as `batch-interval`; `help` is `-h, --help`. */
  readonly flag: string;
  /** The environment variable that sets the same; the flag wins. */
  readonly env?: string;
  /** The value's placeholder in the help, such as `<n>`; boolean flags have none. */
  readonly value?: string;
  readonly description: string;
}

/** What the command line asks for: help, or a run with `config`. */
export type CommandLine<C> =
  { readonly kind: 'help' } | { readonly kind: 'run'; readonly config: C };

/** An option's text and where it came from: `--flag` or the environment variable's name. */
export interface OptionText {
  readonly text: string;
  readonly name: string;
}

/** The environment, as `process.env` holds it. */
export type Environment = Readonly<Record<string, string | undefined>>;

const SWITCH_VALUES = ['on', 'off', 'true', 'false', '1', '0'];
const SWITCH_OFF = ['off', 'false', '0'];

/**
 * The options of a command line, read from its flags and, for those not given, from their
 * environment variables (trimmed; empty counts as unset). The typed readers throw a
 * {@link ConfigurationError} naming the flag (or variable), the value and what is allowed.
 */
export class CommandLineOptions {
  private constructor(
    private readonly specs: readonly OptionSpec[],
    private readonly values: Readonly<Record<string, string | boolean | undefined>>,
    private readonly env: Environment,
  ) {}

  /**
   * Parses `argv` (a leading `--`, which `pnpm start -- …` passes on, is skipped) against
   * `specs`; `undefined` when it asks for help. Unknown flags and positional arguments throw a
   * `DStreamError` with code `INVALID_ARGUMENTS`.
   */
  static parse(
    specs: readonly OptionSpec[],
    argv: readonly string[],
    env: Environment,
  ): CommandLineOptions | undefined {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
    for (const spec of specs) {
      options[spec.flag] = { type: spec.value === undefined ? 'boolean' : 'string' };
    }
    options.help = { type: 'boolean', short: 'h' };
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: argv[0] === '--' ? argv.slice(1) : [...argv],
        options,
        strict: true,
        allowPositionals: false,
      }) as { values: Record<string, string | boolean | undefined> });
    } catch (error) {
      throw new DStreamError('INVALID_ARGUMENTS', (error as Error).message, { cause: error });
    }
    return values.help === true ? undefined : new CommandLineOptions(specs, values, env);
  }

  /** The option's text, from its flag or else its environment variable; `undefined` if unset. */
  read(flag: string): OptionText | undefined {
    const given = this.values[flag];
    if (typeof given === 'string') return { text: given, name: `--${flag}` };
    const spec = this.specs.find((option) => option.flag === flag);
    const fromEnv = spec?.env === undefined ? undefined : this.env[spec.env];
    if (spec?.env !== undefined && fromEnv !== undefined && fromEnv.trim() !== '')
      return { text: fromEnv.trim(), name: spec.env };
    return undefined;
  }

  /** The option's text, or `fallback`. */
  string(flag: string, fallback: string): string {
    return this.read(flag)?.text ?? fallback;
  }

  /** A whole number from `min` to `max`, or `fallback`. */
  integer(flag: string, fallback: number, min: number, max: number): number {
    const option = this.read(flag);
    if (option === undefined) return fallback;
    const value = Number(option.text);
    if (!/^\d+$/.test(option.text) || value < min || value > max) {
      throw new ConfigurationError(
        option.name,
        option.text,
        `expected a whole number from ${min} to ${max}`,
      );
    }
    return value;
  }

  /** A number from `min` to `max`, or `fallback`. */
  number(flag: string, fallback: number, min: number, max: number): number {
    const option = this.read(flag);
    if (option === undefined) return fallback;
    const value = Number(option.text);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new ConfigurationError(
        option.name,
        option.text,
        `expected a number from ${min} to ${max}`,
      );
    }
    return value;
  }

  /** A duration in milliseconds (see {@link parseDuration}), or `fallback`. */
  duration<D extends number | undefined>(flag: string, fallback: D): number | D {
    const option = this.read(flag);
    return option === undefined ? fallback : parseDuration(option.text, option.name);
  }

  /** A path, absolute as given or resolved against `cwd`; `fallback` is resolved the same way. */
  path(flag: string, fallback: string, cwd: string): string {
    const path = this.string(flag, fallback);
    return isAbsolute(path) ? path : resolve(cwd, path);
  }

  /**
   * Whether a feature is on that the boolean flag `flag` (such as `no-simulator`) turns off; its
   * environment variable turns it on or off (`on`, `off`, `true`, `false`, `1`, `0`).
   */
  enabledUnless(flag: string): boolean {
    const variable = this.specs.find((option) => option.flag === flag)?.env;
    const raw = variable === undefined ? undefined : this.env[variable];
    const fromEnv = raw?.trim().toLowerCase();
    if (variable !== undefined && fromEnv !== undefined && fromEnv !== '') {
      if (!SWITCH_VALUES.includes(fromEnv))
        throw new ConfigurationError(variable, raw, 'expected on or off');
    }
    return this.values[flag] !== true && !SWITCH_OFF.includes(fromEnv ?? '');
  }
}
