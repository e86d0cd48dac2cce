import { ConfigurationError } from '@dstream/core';
import {
  CommandLineOptions,
  formatHelp,
  type CommandLine as SharedCommandLine,
  type Environment,
  type OptionSpec,
} from '@dstream/example-support';
import type { AlertThresholds } from './device-tracking.js';

/** Everything a run of the application is configured with. */
export interface IotSensorsConfig {
  /** A real broker to use; `undefined` starts an embedded one. */
  readonly mqttUrl: string | undefined;
  /** The embedded broker's port: `undefined` for 1883 when free (else any free port), `0` for any. */
  readonly brokerPort: number | undefined;
  /** The MQTT version the stream speaks: 4 (3.1.1) or 5; `undefined` picks 4 for the embedded broker, else 5. */
  readonly mqttProtocol: 4 | 5 | undefined;
  /** Readings are published to `<topicPrefix>/<device>/readings`. */
  readonly topicPrefix: string;
  /** The client id of the stream's persistent MQTT session. */
  readonly clientId: string;
  /** Whether the built-in simulator publishes readings. */
  readonly simulate: boolean;
  /** Simulated devices. */
  readonly devices: number;
  /** Milliseconds between two readings of a simulated device. */
  readonly interval: number;
  /** Fraction of simulated messages that are malformed. */
  readonly malformedRate: number;
  /** Seed of the simulation. */
  readonly seed: number;
  /** Milliseconds after which the application stops by itself; `undefined` runs until Ctrl-C. */
  readonly duration: number | undefined;
  readonly batchInterval: number;
  readonly window: number;
  /** How often the window slides; `undefined` means every batch. */
  readonly slide: number | undefined;
  readonly offlineAfter: number;
  readonly thresholds: AlertThresholds;
  /** Where alerts and malformed messages are written (absolute). */
  readonly outputDir: string;
}

/** What the command line asks for: help, or a run. */
export type CommandLine = SharedCommandLine<IotSensorsConfig>;

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'mqtt-url',
    env: 'MQTT_URL',
    value: '<url>',
    description: 'use this MQTT broker (default: start an embedded one)',
  },
  {
    flag: 'port',
    env: 'IOT_BROKER_PORT',
    value: '<port>',
    description: "embedded broker's port (default: 1883 if free, else any free port; 0: any)",
  },
  {
    flag: 'mqtt-protocol',
    env: 'IOT_MQTT_PROTOCOL',
    value: '<4|5>',
    description: 'MQTT version of the stream (default: 4 with the embedded broker, else 5)',
  },
  {
    flag: 'topic-prefix',
    env: 'IOT_TOPIC_PREFIX',
    value: '<prefix>',
    description: 'readings are published to <prefix>/<device>/readings (default: sensors)',
  },
  {
    flag: 'client-id',
    env: 'IOT_CLIENT_ID',
    value: '<id>',
    description: "client id of the stream's MQTT session (default: dstream-iot-sensors)",
  },
  {
    flag: 'no-simulator',
    env: 'IOT_SIMULATOR',
    description: 'do not publish simulated readings (IOT_SIMULATOR=off); for real devices',
  },
  {
    flag: 'devices',
    env: 'IOT_DEVICES',
    value: '<n>',
    description: 'simulated devices (default: 300)',
  },
  {
    flag: 'interval',
    env: 'IOT_INTERVAL',
    value: '<duration>',
    description: 'time between two readings of a device (default: 1s)',
  },
  {
    flag: 'malformed-rate',
    env: 'IOT_MALFORMED_RATE',
    value: '<fraction>',
    description: 'share of simulated messages that are malformed (default: 0.005)',
  },
  {
    flag: 'seed',
    env: 'IOT_SEED',
    value: '<n>',
    description: 'seed of the simulation (default: 1)',
  },
  {
    flag: 'duration',
    env: 'IOT_DURATION',
    value: '<duration>',
    description: 'stop by itself after this long (default: run until Ctrl-C)',
  },
  {
    flag: 'batch-interval',
    env: 'IOT_BATCH_INTERVAL',
    value: '<duration>',
    description: 'time between two batches (default: 1s)',
  },
  {
    flag: 'window',
    env: 'IOT_WINDOW',
    value: '<duration>',
    description: 'length of the sliding window of the averages (default: 10s)',
  },
  {
    flag: 'slide',
    env: 'IOT_SLIDE',
    value: '<duration>',
    description: 'how often the window slides (default: every batch)',
  },
  {
    flag: 'offline-after',
    env: 'IOT_OFFLINE_AFTER',
    value: '<duration>',
    description: 'silence after which a device is offline; longer than the window (default: 20s)',
  },
  {
    flag: 'temperature-high',
    env: 'IOT_TEMPERATURE_HIGH',
    value: '<°C>',
    description: 'raise a temperature alert above this average (default: 40)',
  },
  {
    flag: 'temperature-clear',
    env: 'IOT_TEMPERATURE_CLEAR',
    value: '<°C>',
    description: 'clear it below this average (default: 37)',
  },
  {
    flag: 'battery-low',
    env: 'IOT_BATTERY_LOW',
    value: '<%>',
    description: 'raise a battery alert below this average (default: 15)',
  },
  {
    flag: 'battery-clear',
    env: 'IOT_BATTERY_CLEAR',
    value: '<%>',
    description: 'clear it above this average (default: 20)',
  },
  {
    flag: 'output',
    env: 'IOT_OUTPUT_DIR',
    value: '<dir>',
    description: 'where alerts and malformed messages are written (default: ./output/iot-sensors)',
  },
  { flag: 'help', description: 'show this help and exit' },
];

/** The help text of the command line. */
export function helpText(): string {
  return formatHelp(
    [
      'Usage: pnpm start [-- options]        (or: node dist/main.js [options])',
      '',
      'Simulated IoT sensors publish readings over MQTT; dstream computes per-device averages over a',
      'sliding window, tracks every device with mapWithState (last seen, alerts with hysteresis,',
      'offline detection), writes alerts as JSON lines and prints one status line per batch.',
      'Press Ctrl-C to stop gracefully (twice to quit at once).',
    ],
    OPTIONS,
    32,
  );
}

/**
 * Reads the command line and the environment. `cwd` resolves a relative output directory.
 * Throws a {@link ConfigurationError} naming the flag (or variable), the value and what is allowed.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Environment,
  cwd: string,
): CommandLine {
  const options = CommandLineOptions.parse(OPTIONS, argv, env);
  if (options === undefined) return { kind: 'help' };

  const mqttUrl = options.read('mqtt-url')?.text;
  const portOption = options.read('port');
  const protocolOption = options.read('mqtt-protocol');
  let mqttProtocol: 4 | 5 | undefined;
  if (protocolOption !== undefined) {
    if (protocolOption.text !== '4' && protocolOption.text !== '5') {
      throw new ConfigurationError(
        protocolOption.name,
        protocolOption.text,
        'expected 4 (MQTT 3.1.1) or 5 (MQTT 5)',
      );
    }
    mqttProtocol = protocolOption.text === '4' ? 4 : 5;
  }
  const simulate = options.enabledUnless('no-simulator');
  const topicPrefix = options.string('topic-prefix', 'sensors');
  if (
    topicPrefix === '' ||
    /[+#]/.test(topicPrefix) ||
    topicPrefix.startsWith('/') ||
    topicPrefix.endsWith('/')
  ) {
    throw new ConfigurationError(
      options.read('topic-prefix')!.name,
      topicPrefix,
      'expected topic levels without wildcards or leading and trailing slashes, such as sensors or site-1/sensors',
    );
  }

  return {
    kind: 'run',
    config: {
      mqttUrl,
      brokerPort: portOption === undefined ? undefined : options.integer('port', 0, 0, 65_535),
      mqttProtocol,
      topicPrefix,
      clientId: options.string('client-id', 'dstream-iot-sensors'),
      simulate,
      devices: options.integer('devices', 300, 1, 100_000),
      interval: options.duration('interval', 1_000),
      malformedRate: options.number('malformed-rate', 0.005, 0, 1),
      seed: options.integer('seed', 1, 0, 2 ** 32 - 1),
      duration: options.duration('duration', undefined),
      batchInterval: options.duration('batch-interval', 1_000),
      window: options.duration('window', 10_000),
      slide: options.duration('slide', undefined),
      offlineAfter: options.duration('offline-after', 20_000),
      thresholds: {
        temperatureHigh: options.number('temperature-high', 40, -60, 150),
        temperatureClear: options.number('temperature-clear', 37, -60, 150),
        batteryLow: options.number('battery-low', 15, 0, 100),
        batteryClear: options.number('battery-clear', 20, 0, 100),
      },
      outputDir: options.path('output', './output/iot-sensors', cwd),
    },
  };
}
