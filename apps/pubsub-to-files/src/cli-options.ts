import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '@dstream/core';
import {
  CommandLineOptions,
  formatHelp,
  type CommandLine as SharedCommandLine,
  type Environment,
  type OptionSpec,
} from '@dstream/example-support';

/** Everything a run of the application is configured with. */
export interface PubsubToFilesConfig {
  /** `host:port` of the Pub/Sub emulator. */
  readonly emulatorHost: string;
  readonly projectId: string;
  readonly topic: string;
  readonly subscription: string;
  /** The stores reference table (CSV). */
  readonly storesFile: string;
  /** Whether the built-in publisher publishes simulated sales. */
  readonly publish: boolean;
  /** Simulated sales per second. */
  readonly rate: number;
  /** Share of simulated sales from stores missing in the reference table. */
  readonly unknownStoreRate: number;
  /** Share of simulated messages that are malformed. */
  readonly malformedRate: number;
  readonly seed: number;
  readonly batchInterval: number;
  /** Milliseconds after which the application stops by itself; `undefined` runs until Ctrl-C. */
  readonly duration: number | undefined;
  /** Where the hourly files go (absolute). */
  readonly outputDir: string;
}

/** What the command line asks for: help, or a run. */
export type CommandLine = SharedCommandLine<PubsubToFilesConfig>;

/** The reference table shipped with the application. */
export const SAMPLE_STORES_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'data',
  'stores.csv',
);

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'emulator-host',
    env: 'PUBSUB_EMULATOR_HOST',
    value: '<host:port>',
    description: 'the Pub/Sub emulator (default: 127.0.0.1:8085)',
  },
  {
    flag: 'project',
    env: 'PUBSUB_PROJECT_ID',
    value: '<id>',
    description: 'the project of the topic and subscription (default: dstream-samples)',
  },
  {
    flag: 'topic',
    env: 'SALES_TOPIC',
    value: '<name>',
    description: 'the topic sales are published to (default: pos-sales)',
  },
  {
    flag: 'subscription',
    env: 'SALES_SUBSCRIPTION',
    value: '<name>',
    description: 'the subscription the job reads (default: pos-sales-to-files)',
  },
  {
    flag: 'stores',
    env: 'SALES_STORES_FILE',
    value: '<file.csv>',
    description: 'the stores reference table (default: data/stores.csv of the application)',
  },
  {
    flag: 'no-publisher',
    env: 'SALES_PUBLISHER',
    description: 'do not publish simulated sales (SALES_PUBLISHER=off)',
  },
  {
    flag: 'rate',
    env: 'SALES_RATE',
    value: '<n>',
    description: 'simulated sales per second (default: 50)',
  },
  {
    flag: 'unknown-store-rate',
    env: 'SALES_UNKNOWN_STORE_RATE',
    value: '<fraction>',
    description: 'share of sales from stores not in the table (default: 0.02)',
  },
  {
    flag: 'malformed-rate',
    env: 'SALES_MALFORMED_RATE',
    value: '<fraction>',
    description: 'share of malformed messages (default: 0.005)',
  },
  {
    flag: 'seed',
    env: 'SALES_SEED',
    value: '<n>',
    description: 'seed of the simulation (default: 1)',
  },
  {
    flag: 'batch-interval',
    env: 'SALES_BATCH_INTERVAL',
    value: '<duration>',
    description: 'time between two batches (default: 2s)',
  },
  {
    flag: 'duration',
    env: 'SALES_DURATION',
    value: '<duration>',
    description: 'stop by itself after this long (default: run until Ctrl-C)',
  },
  {
    flag: 'output',
    env: 'SALES_OUTPUT_DIR',
    value: '<dir>',
    description: 'where the hourly files are written (default: ./output/pubsub-to-files)',
  },
  { flag: 'help', description: 'show this help and exit' },
];

/** The help text of the command line. */
export function helpText(): string {
  return formatHelp(
    [
      'Usage: pnpm --filter @dstream/example-pubsub-to-files start [-- options]',
      '       (or, in apps/pubsub-to-files: node dist/main.js [options])',
      '',
      'Point-of-sale systems publish sales to Pub/Sub; dstream receives them from a subscription,',
      'joins every batch with a static stores table loaded from a CSV file, and writes the enriched',
      'sales as JSON lines in one directory per hour. Press Ctrl-C to stop gracefully (twice to quit',
      'at once).',
    ],
    OPTIONS,
    34,
  );
}

/**
 * Reads the command line and the environment; `cwd` resolves relative paths.
 * Throws a {@link ConfigurationError} naming the flag (or variable), the value and what is allowed.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Environment,
  cwd: string,
): CommandLine {
  const options = CommandLineOptions.parse(OPTIONS, argv, env);
  if (options === undefined) return { kind: 'help' };

  const name = (flag: string, fallback: string): string => {
    const option = options.read(flag);
    if (option === undefined) return fallback;
    // Pub/Sub's rule for topic and subscription names (and, looser, project ids).
    if (
      !/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/.test(option.text) ||
      option.text.startsWith('goog')
    ) {
      throw new ConfigurationError(
        option.name,
        option.text,
        'expected 3 to 255 letters, digits or - _ . ~ + %, starting with a letter, not with "goog"',
      );
    }
    return option.text;
  };

  const hostOption = options.read('emulator-host');
  const emulatorHost = hostOption?.text ?? '127.0.0.1:8085';
  if (!/^[^\s:/]+:\d{1,5}$/.test(emulatorHost)) {
    throw new ConfigurationError(
      hostOption!.name,
      emulatorHost,
      'expected host:port, such as 127.0.0.1:8085',
    );
  }
  const publish = options.enabledUnless('no-publisher');
  const storesFile = options.path('stores', SAMPLE_STORES_FILE, cwd);
  const outputDir = options.path('output', './output/pubsub-to-files', cwd);
  return {
    kind: 'run',
    config: {
      emulatorHost,
      projectId: name('project', 'dstream-samples'),
      topic: name('topic', 'pos-sales'),
      subscription: name('subscription', 'pos-sales-to-files'),
      storesFile,
      publish,
      rate: options.number('rate', 50, 0.1, 100_000),
      unknownStoreRate: options.number('unknown-store-rate', 0.02, 0, 1),
      malformedRate: options.number('malformed-rate', 0.005, 0, 1),
      seed: options.integer('seed', 1, 0, 2 ** 32 - 1),
      batchInterval: options.duration('batch-interval', 2_000),
      duration: options.duration('duration', undefined),
      outputDir,
    },
  };
}
