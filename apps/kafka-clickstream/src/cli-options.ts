import { ConfigurationError } from '@dstream/core';
import {
  CommandLineOptions,
  formatHelp,
  type CommandLine as SharedCommandLine,
  type Environment,
  type OptionSpec,
} from '@dstream/example-support';

/** Everything a run of the application is configured with. */
export interface ClickstreamConfig {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Topics are `<prefix>.page-views`, `<prefix>.sessions` and `<prefix>.session-state`. */
  readonly topicPrefix: string;
  /** Partitions of the topics the application creates. */
  readonly partitions: number;
  /** Whether the built-in load generator produces page views. */
  readonly generate: boolean;
  /** Simulated visitors. */
  readonly users: number;
  /** Average time a visitor spends on a page, in milliseconds. */
  readonly thinkTime: number;
  readonly seed: number;
  /** Inactivity that ends a session, in milliseconds. */
  readonly sessionGap: number;
  readonly batchInterval: number;
  /** Page views per second per partition a batch takes at most. */
  readonly maxRatePerPartition: number;
  /** Milliseconds after which the application stops by itself; `undefined` runs until Ctrl-C. */
  readonly duration: number | undefined;
  /** Where the session files go (absolute). */
  readonly outputDir: string;
}

/** What the command line asks for: help, or a run. */
export type CommandLine = SharedCommandLine<ClickstreamConfig>;

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'brokers',
    env: 'KAFKA_BROKERS',
    value: '<host:port,…>',
    description: 'Kafka bootstrap brokers (default: 127.0.0.1:9092)',
  },
  {
    flag: 'topic-prefix',
    env: 'CLICKSTREAM_TOPIC_PREFIX',
    value: '<prefix>',
    description:
      'topics <prefix>.page-views, <prefix>.sessions and <prefix>.session-state (default: clickstream)',
  },
  {
    flag: 'partitions',
    env: 'CLICKSTREAM_PARTITIONS',
    value: '<n>',
    description: 'partitions of the topics the application creates (default: 3)',
  },
  {
    flag: 'no-generator',
    env: 'CLICKSTREAM_GENERATOR',
    description: 'do not produce simulated page views (CLICKSTREAM_GENERATOR=off)',
  },
  {
    flag: 'users',
    env: 'CLICKSTREAM_USERS',
    value: '<n>',
    description: 'simulated visitors (default: 200)',
  },
  {
    flag: 'think-time',
    env: 'CLICKSTREAM_THINK_TIME',
    value: '<duration>',
    description: 'average time a visitor stays on a page (default: 3s)',
  },
  {
    flag: 'seed',
    env: 'CLICKSTREAM_SEED',
    value: '<n>',
    description: 'seed of the simulation (default: 1)',
  },
  {
    flag: 'session-gap',
    env: 'CLICKSTREAM_SESSION_GAP',
    value: '<duration>',
    description: 'inactivity that ends a session (default: 15s)',
  },
  {
    flag: 'batch-interval',
    env: 'CLICKSTREAM_BATCH_INTERVAL',
    value: '<duration>',
    description: 'time between two batches (default: 1s)',
  },
  {
    flag: 'max-rate-per-partition',
    env: 'CLICKSTREAM_MAX_RATE',
    value: '<n>',
    description: 'page views per second per partition a batch takes at most (default: 5000)',
  },
  {
    flag: 'duration',
    env: 'CLICKSTREAM_DURATION',
    value: '<duration>',
    description: 'stop by itself after this long (default: run until Ctrl-C)',
  },
  {
    flag: 'output',
    env: 'CLICKSTREAM_OUTPUT_DIR',
    value: '<dir>',
    description: 'where session files are written (default: ./output/kafka-clickstream)',
  },
  { flag: 'help', description: 'show this help and exit' },
];

/** The help text of the command line. */
export function helpText(): string {
  return formatHelp(
    [
      'Usage: pnpm --filter @dstream/example-kafka-clickstream start [-- options]',
      '       (or, in apps/kafka-clickstream: node dist/main.js [options])',
      '',
      'A load generator produces page views to Kafka; dstream reads them with the direct stream,',
      'sessionizes them with mapWithState, and writes finished sessions to a Kafka topic in one',
      'transaction per batch (with the consumed offsets and the open sessions: exactly once) and to',
      'JSON-lines files. Press Ctrl-C to stop gracefully (twice to quit at once).',
    ],
    OPTIONS,
    34,
  );
}

/**
 * Reads the command line and the environment; `cwd` resolves a relative output directory.
 * Throws a {@link ConfigurationError} naming the flag (or variable), the value and what is allowed.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Environment,
  cwd: string,
): CommandLine {
  const options = CommandLineOptions.parse(OPTIONS, argv, env);
  if (options === undefined) return { kind: 'help' };

  const brokersOption = options.read('brokers');
  const brokers = (brokersOption?.text ?? '127.0.0.1:9092')
    .split(',')
    .map((broker) => broker.trim());
  if (brokers.some((broker) => !/^[^\s:]+:\d{1,5}$/.test(broker))) {
    throw new ConfigurationError(
      brokersOption!.name,
      brokersOption!.text,
      'expected host:port[,host:port…]',
    );
  }
  const prefixOption = options.read('topic-prefix');
  const topicPrefix = prefixOption?.text ?? 'clickstream';
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(topicPrefix)) {
    throw new ConfigurationError(
      prefixOption!.name,
      topicPrefix,
      'expected letters, digits, ".", "_" or "-" (a Kafka topic name)',
    );
  }
  const generate = options.enabledUnless('no-generator');
  const outputDir = options.path('output', './output/kafka-clickstream', cwd);
  return {
    kind: 'run',
    config: {
      brokers,
      topicPrefix,
      partitions: options.integer('partitions', 3, 1, 1000),
      generate,
      users: options.integer('users', 200, 1, 1_000_000),
      thinkTime: options.duration('think-time', 3_000),
      seed: options.integer('seed', 1, 0, 2 ** 32 - 1),
      sessionGap: options.duration('session-gap', 15_000),
      batchInterval: options.duration('batch-interval', 1_000),
      maxRatePerPartition: options.integer('max-rate-per-partition', 5_000, 1, 10_000_000),
      duration: options.duration('duration', undefined),
      outputDir,
    },
  };
}
