import { ConfigurationError } from '@dstream/core';
import { describe, expect, it } from 'vitest';
import {
  SAMPLE_STORES_FILE,
  helpText,
  parseCommandLine,
  type PubsubToFilesConfig,
} from '../src/cli-options.js';

function config(argv: string[], env: Record<string, string> = {}): PubsubToFilesConfig {
  const commandLine = parseCommandLine(argv, env, '/work');
  if (commandLine.kind !== 'run') throw new Error('expected a run');
  return commandLine.config;
}

describe('command line', () => {
  it('has documented defaults, with the stores table shipped in data/', () => {
    expect(config([])).toEqual({
      emulatorHost: '127.0.0.1:8085',
      projectId: 'dstream-samples',
      topic: 'pos-sales',
      subscription: 'pos-sales-to-files',
      storesFile: SAMPLE_STORES_FILE,
      publish: true,
      rate: 50,
      unknownStoreRate: 0.02,
      malformedRate: 0.005,
      seed: 1,
      batchInterval: 2000,
      duration: undefined,
      outputDir: '/work/output/pubsub-to-files',
    });
    expect(SAMPLE_STORES_FILE).toMatch(/pubsub-to-files\/data\/stores\.csv$/);
  });

  it('takes options from flags and environment variables, the flag winning', () => {
    const env = {
      PUBSUB_EMULATOR_HOST: 'localhost:8681',
      SALES_PUBLISHER: 'off',
      SALES_STORES_FILE: 'ref/stores.csv',
    };
    expect(config([], env)).toMatchObject({
      emulatorHost: 'localhost:8681',
      publish: false,
      storesFile: '/work/ref/stores.csv',
    });
    expect(
      config(['--', '--emulator-host', 'pubsub:8085', '--rate', '2.5', '--topic', 'sales-eu'], env),
    ).toMatchObject({
      emulatorHost: 'pubsub:8085',
      rate: 2.5,
      topic: 'sales-eu',
    });
  });

  it('rejects bad values naming the option, the value and what is allowed', () => {
    expect(() => config(['--emulator-host', 'http://x'])).toThrow(ConfigurationError);
    expect(() => config(['--emulator-host', 'http://x'])).toThrow(
      'Invalid --emulator-host: "http://x"; expected host:port',
    );
    expect(() => config(['--topic', 'goog-sales'])).toThrow('Invalid --topic: "goog-sales"');
    expect(() => config(['--subscription', 'ab'])).toThrow('Invalid --subscription: "ab"');
    expect(() => config([], { SALES_RATE: '0' })).toThrow(
      'Invalid SALES_RATE: "0"; expected a number from 0.1 to 100000',
    );
    expect(() => config(['--batch-interval', '2x'])).toThrow('Invalid --batch-interval: "2x"');
  });

  it('prints help naming every option and its variable', () => {
    expect(parseCommandLine(['--help'], {}, '/')).toEqual({ kind: 'help' });
    const help = helpText();
    for (const text of [
      '--emulator-host <host:port>',
      '[PUBSUB_EMULATOR_HOST]',
      '--stores <file.csv>',
      '--no-publisher',
    ]) {
      expect(help).toContain(text);
    }
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
