import { ConfigurationError, DStreamError } from '@dstream/core';
import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine, type IotSensorsConfig } from '../src/cli-options.js';

function config(argv: string[], env: Record<string, string> = {}): IotSensorsConfig {
  const commandLine = parseCommandLine(argv, env, '/work');
  if (commandLine.kind !== 'run') throw new Error('expected a run');
  return commandLine.config;
}

describe('command line', () => {
  it('runs with an embedded broker and the documented defaults when given nothing', () => {
    expect(config([])).toEqual({
      mqttUrl: undefined,
      brokerPort: undefined,
      mqttProtocol: undefined,
      topicPrefix: 'sensors',
      clientId: 'dstream-iot-sensors',
      simulate: true,
      devices: 300,
      interval: 1000,
      malformedRate: 0.005,
      seed: 1,
      duration: undefined,
      batchInterval: 1000,
      window: 10_000,
      slide: undefined,
      offlineAfter: 20_000,
      thresholds: { temperatureHigh: 40, temperatureClear: 37, batteryLow: 15, batteryClear: 20 },
      outputDir: '/work/output/iot-sensors',
    });
  });

  it('takes every option from a flag or from its environment variable, the flag winning', () => {
    const env = {
      MQTT_URL: 'mqtt://broker:1883',
      IOT_DEVICES: '50',
      IOT_DURATION: '2m',
      IOT_OUTPUT_DIR: 'out',
    };
    expect(config([], env)).toMatchObject({
      mqttUrl: 'mqtt://broker:1883',
      devices: 50,
      duration: 120_000,
      outputDir: '/work/out',
    });
    expect(
      config(['--devices', '7', '--output', '/data/iot', '--mqtt-url=mqtt://other:1884'], env),
    ).toMatchObject({
      mqttUrl: 'mqtt://other:1884',
      devices: 7,
      duration: 120_000,
      outputDir: '/data/iot',
    });
  });

  it('reads the rest of the options', () => {
    expect(
      config([
        '--port',
        '0',
        '--mqtt-protocol',
        '5',
        '--topic-prefix',
        'site-1/sensors',
        '--client-id',
        'job-1',
        '--interval',
        '250ms',
        '--malformed-rate',
        '0.1',
        '--seed',
        '99',
        '--batch-interval',
        '500ms',
        '--window',
        '5s',
        '--slide',
        '1s',
        '--offline-after',
        '1m',
        '--temperature-high',
        '50',
        '--temperature-clear',
        '45.5',
        '--battery-low',
        '10',
        '--battery-clear',
        '12',
      ]),
    ).toMatchObject({
      brokerPort: 0,
      mqttProtocol: 5,
      topicPrefix: 'site-1/sensors',
      clientId: 'job-1',
      interval: 250,
      malformedRate: 0.1,
      seed: 99,
      batchInterval: 500,
      window: 5000,
      slide: 1000,
      offlineAfter: 60_000,
      thresholds: { temperatureHigh: 50, temperatureClear: 45.5, batteryLow: 10, batteryClear: 12 },
    });
  });

  it('turns the simulator off with --no-simulator or IOT_SIMULATOR=off', () => {
    expect(config(['--no-simulator']).simulate).toBe(false);
    expect(config([], { IOT_SIMULATOR: 'off' }).simulate).toBe(false);
    expect(config([], { IOT_SIMULATOR: 'on' }).simulate).toBe(true);
    expect(() => config([], { IOT_SIMULATOR: 'maybe' })).toThrow(
      'Invalid IOT_SIMULATOR: "maybe"; expected on or off',
    );
  });

  it('accepts the -- that pnpm start -- passes on', () => {
    expect(config(['--', '--devices', '3']).devices).toBe(3);
    expect(parseCommandLine(['--', '--help'], {}, '/').kind).toBe('help');
  });

  it('asks for help with --help or -h', () => {
    expect(parseCommandLine(['--help'], {}, '/')).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h', '--devices', 'x'], {}, '/')).toEqual({ kind: 'help' });
  });

  it('rejects a bad value naming the flag or variable, the value and what is allowed', () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['--devices', '0'], {}, 'Invalid --devices: "0"; expected a whole number from 1 to 100000'],
      [
        [],
        { IOT_DEVICES: 'many' },
        'Invalid IOT_DEVICES: "many"; expected a whole number from 1 to 100000',
      ],
      [['--port', '70000'], {}, 'Invalid --port: "70000"; expected a whole number from 0 to 65535'],
      [
        ['--malformed-rate', '2'],
        {},
        'Invalid --malformed-rate: "2"; expected a number from 0 to 1',
      ],
      [['--window', 'ten'], {}, 'Invalid --window: "ten"; expected a positive duration'],
      [['--duration', '0s'], {}, 'Invalid --duration: "0s"; expected a positive duration'],
      [
        ['--mqtt-protocol', '3'],
        {},
        'Invalid --mqtt-protocol: "3"; expected 4 (MQTT 3.1.1) or 5 (MQTT 5)',
      ],
      [
        ['--topic-prefix', 'sensors/#'],
        {},
        'Invalid --topic-prefix: "sensors/#"; expected topic levels without wildcards',
      ],
    ];
    for (const [argv, env, message] of cases) {
      expect(() => config(argv, env)).toThrow(ConfigurationError);
      expect(() => config(argv, env)).toThrow(message);
    }
  });

  it('rejects unknown flags and stray arguments', () => {
    expect(() => config(['--device', '3'])).toThrow(DStreamError);
    expect(() => config(['--device', '3'])).toThrow(/Unknown option '--device'/);
    expect(() => config(['now'])).toThrow(/Unexpected argument 'now'/);
  });

  it('documents every option with its environment variable in the help', () => {
    const help = helpText();
    for (const text of [
      '--mqtt-url <url>',
      '[MQTT_URL]',
      '--duration <duration>',
      '[IOT_DURATION]',
      '--no-simulator',
      '-h, --help',
    ]) {
      expect(help).toContain(text);
    }
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
