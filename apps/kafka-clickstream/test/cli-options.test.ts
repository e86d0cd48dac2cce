import { ConfigurationError } from '@dstream/core';
import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine, type ClickstreamConfig } from '../src/cli-options.js';

function config(argv: string[], env: Record<string, string> = {}): ClickstreamConfig {
  const commandLine = parseCommandLine(argv, env, '/work');
  if (commandLine.kind !== 'run') throw new Error('expected a run');
  return commandLine.config;
}

describe('command line', () => {
  it('has documented defaults', () => {
    expect(config([])).toEqual({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: 'clickstream',
      partitions: 3,
      generate: true,
      users: 200,
      thinkTime: 3000,
      seed: 1,
      sessionGap: 15_000,
      batchInterval: 1000,
      maxRatePerPartition: 5000,
      duration: undefined,
      outputDir: '/work/output/kafka-clickstream',
    });
  });

  it('takes options from flags and environment variables, the flag winning', () => {
    const env = {
      KAFKA_BROKERS: 'k1:9092,k2:9093',
      CLICKSTREAM_SESSION_GAP: '1m',
      CLICKSTREAM_GENERATOR: 'off',
    };
    expect(config([], env)).toMatchObject({
      brokers: ['k1:9092', 'k2:9093'],
      sessionGap: 60_000,
      generate: false,
    });
    expect(
      config(
        [
          '--',
          '--brokers',
          'k3:9092',
          '--session-gap',
          '2s',
          '--topic-prefix',
          'shop.eu',
          '--no-generator',
        ],
        env,
      ),
    ).toMatchObject({
      brokers: ['k3:9092'],
      sessionGap: 2000,
      topicPrefix: 'shop.eu',
      generate: false,
    });
  });

  it('rejects bad values naming the option, the value and what is allowed', () => {
    expect(() => config(['--brokers', 'localhost'])).toThrow(ConfigurationError);
    expect(() => config(['--brokers', 'localhost'])).toThrow(
      'Invalid --brokers: "localhost"; expected host:port',
    );
    expect(() => config(['--topic-prefix', 'a b'])).toThrow('Invalid --topic-prefix: "a b"');
    expect(() => config([], { CLICKSTREAM_USERS: '0' })).toThrow('Invalid CLICKSTREAM_USERS: "0"');
    expect(() => config(['--session-gap', 'soon'])).toThrow('Invalid --session-gap: "soon"');
    expect(() => config(['--users'])).toThrow(/argument missing/);
  });

  it('prints help that names every option and its variable', () => {
    expect(parseCommandLine(['-h'], {}, '/')).toEqual({ kind: 'help' });
    const help = helpText();
    for (const text of [
      '--brokers <host:port,…>',
      '[KAFKA_BROKERS]',
      '--session-gap',
      '--no-generator',
    ]) {
      expect(help).toContain(text);
    }
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
