import { ConfigurationError, DStreamError } from '@dstream/core';
import { describe, expect, it } from 'vitest';
import { CommandLineOptions, formatHelp, parseDuration, type OptionSpec } from '../src/index.js';

const SPECS: readonly OptionSpec[] = [
  { flag: 'count', env: 'APP_COUNT', value: '<n>', description: 'how many (default: 3)' },
  { flag: 'rate', env: 'APP_RATE', value: '<x>', description: 'a rate' },
  { flag: 'every', env: 'APP_EVERY', value: '<duration>', description: 'how often' },
  { flag: 'output', env: 'APP_OUTPUT', value: '<dir>', description: 'where to write' },
  { flag: 'no-source', env: 'APP_SOURCE', description: 'do not start the source' },
  { flag: 'help', description: 'show this help and exit' },
];

function parse(argv: string[], env: Record<string, string> = {}): CommandLineOptions {
  const options = CommandLineOptions.parse(SPECS, argv, env);
  if (options === undefined) throw new Error('expected options');
  return options;
}

describe('CommandLineOptions', () => {
  it('reads flags first, then trimmed environment variables, then the fallback', () => {
    expect(parse(['--', '--count', '5'], { APP_COUNT: '7' }).integer('count', 3, 1, 10)).toBe(5);
    expect(parse([], { APP_COUNT: ' 7 ' }).integer('count', 3, 1, 10)).toBe(7);
    expect(parse([], { APP_COUNT: '  ' }).integer('count', 3, 1, 10)).toBe(3);
    expect(parse(['--rate', '0.5']).number('rate', 1, 0, 1)).toBe(0.5);
    expect(parse(['--every', '2m']).duration('every', undefined)).toBe(120_000);
    expect(parse([]).duration('every', undefined)).toBeUndefined();
    expect(parse(['--output', 'out']).path('output', './x', '/work')).toBe('/work/out');
    expect(parse([], { APP_OUTPUT: '/abs' }).path('output', './x', '/work')).toBe('/abs');
  });

  it('names the flag or the variable, the value and what is allowed in its errors', () => {
    expect(() => parse(['--count', '11']).integer('count', 3, 1, 10)).toThrow(
      'Invalid --count: "11"',
    );
    expect(() => parse([], { APP_RATE: 'x' }).number('rate', 1, 0, 1)).toThrow(ConfigurationError);
    expect(() => parse([], { APP_RATE: 'x' }).number('rate', 1, 0, 1)).toThrow('APP_RATE');
    expect(() => parse(['--bogus'])).toThrow(DStreamError);
  });

  it('asks for help with -h or --help', () => {
    expect(CommandLineOptions.parse(SPECS, ['-h'], {})).toBeUndefined();
    expect(CommandLineOptions.parse(SPECS, ['--', '--help'], {})).toBeUndefined();
  });

  it('turns a feature off with its --no- flag or its variable, which must be on or off', () => {
    expect(parse([]).enabledUnless('no-source')).toBe(true);
    expect(parse(['--no-source']).enabledUnless('no-source')).toBe(false);
    expect(parse([], { APP_SOURCE: 'OFF' }).enabledUnless('no-source')).toBe(false);
    expect(parse([], { APP_SOURCE: 'on' }).enabledUnless('no-source')).toBe(true);
    expect(() => parse([], { APP_SOURCE: 'maybe' }).enabledUnless('no-source')).toThrow(
      'APP_SOURCE',
    );
  });
});

describe('formatHelp', () => {
  it('lists every option with its variable, wrapped within 100 columns', () => {
    const help = formatHelp(['Usage: app [options]'], SPECS, 30);
    expect(help).toMatch(/^Usage: app \[options\]\n\nOptions/);
    expect(help).toContain('  --count <n>                 how many (default: 3) [APP_COUNT]');
    expect(help).toContain('  -h, --help                  show this help and exit');
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes and hours; a bare number is seconds', () => {
    expect(parseDuration('500ms', 'x')).toBe(500);
    expect(parseDuration('1.5s', 'x')).toBe(1500);
    expect(parseDuration('2m', 'x')).toBe(120_000);
    expect(parseDuration('1h', 'x')).toBe(3_600_000);
    expect(parseDuration('3', 'x')).toBe(3000);
    expect(() => parseDuration('0.5ms', '--slide')).toThrow('Invalid --slide: "0.5ms"');
    expect(() => parseDuration('-1s', '--slide')).toThrow('Invalid --slide');
  });
});
