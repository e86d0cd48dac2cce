import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerAddresses, requireBroker } from '../../../infra/test-support/brokers.mjs';
import {
  buildApp,
  describeRun,
  killApp,
  startApp,
  type AppProcess,
} from '@dstream/example-support/testing';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The application's own variables, not passed on from the test's environment. */
const isAppVariable = (name: string): boolean => name === 'MQTT_URL' || name.startsWith('IOT_');

const STATUS_LINE =
  /^\d\d:\d\d:\d\d batch (\d+) records (\d+) devices (\d+) alerts (\d+) \(\+(\d+) -(\d+)\) offline (\d+) malformed (\d+) processing (\d+) ms delay (\d+) ms$/;

interface StatusLine {
  batch: number;
  records: number;
  devices: number;
  malformed: number;
}

function statusLines(stdout: string): StatusLine[] {
  return stdout
    .split('\n')
    .map((line) => STATUS_LINE.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({
      batch: Number(match[1]),
      records: Number(match[2]),
      devices: Number(match[3]),
      malformed: Number(match[8]),
    }));
}

function summaryNumber(stdout: string, pattern: RegExp): number {
  const match = pattern.exec(stdout);
  if (match === null) throw new Error(`The summary has no ${pattern}:\n${stdout}`);
  return Number(match[1]);
}

async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const processes: AppProcess[] = [];
let outputRoot: string;

beforeAll(async () => {
  buildApp(APP_DIR);
  outputRoot = await mkdtemp(join(tmpdir(), 'iot-sensors-smoke-'));
});

afterAll(async () => {
  processes.forEach(killApp);
  await rm(outputRoot, { recursive: true, force: true });
});

function start(args: string[]): AppProcess {
  const app = startApp({ appDir: APP_DIR, args, isAppVariable });
  processes.push(app);
  return app;
}

describe('the application with its embedded broker', () => {
  it.concurrent(
    'runs for the given duration, prints a status line per batch and a summary, and writes alerts and malformed messages',
    async ({ expect }) => {
      const output = join(outputRoot, 'embedded');
      const app = start([
        '--duration',
        '6s',
        '--port',
        '0',
        '--malformed-rate',
        '0.02',
        '--output',
        output,
      ]);
      expect(await app.exited, describeRun(app)).toBe(0);
      const { stdout, stderr } = app;
      expect(stderr).not.toMatch(/\[error\]/);
      expect(stdout).toMatch(
        /^ {2}broker {5}mqtt:\/\/127\.0\.0\.1:\d+ \(embedded; MQTT 3\.1\.1\)$/m,
      );
      expect(stdout).toContain(`  output     ${output}`);
      expect(stdout).toContain('6 s passed: stopping gracefully');

      const lines = statusLines(stdout);
      expect(lines.length).toBeGreaterThanOrEqual(5);
      expect(lines.map((line) => line.batch)).toEqual(lines.map((_, index) => index + 1));
      expect(lines.some((line) => line.devices === 300)).toBe(true);
      const records = lines.reduce((sum, line) => sum + line.records, 0);
      expect(records).toBeGreaterThan(1000);

      // The summary adds up the status lines, and the malformed messages are all in their file.
      expect(stdout).toMatch(/^Summary$/m);
      expect(summaryNumber(stdout, /readings +(\d+) processed/)).toBe(records);
      const malformed = summaryNumber(stdout, /processed, (\d+) malformed/);
      expect(malformed).toBeGreaterThan(0);
      // A dead letter written after the last status line shows in the summary only.
      expect(lines.reduce((sum, line) => sum + line.malformed, 0)).toBeLessThanOrEqual(malformed);
      const deadLetters = await jsonLines(join(output, 'malformed.jsonl'));
      expect(deadLetters).toHaveLength(malformed);
      for (const letter of deadLetters) {
        expect(letter.source).toMatch(
          /^topic sensors\/sensor-\d{4}\/readings on mqtt:\/\/127\.0\.0\.1:\d+$/,
        );
        expect(typeof letter.error).toBe('string');
      }

      // Seed 1 starts a few devices overheating and a few with an empty battery.
      const directories = (await readdir(join(output, 'alerts'))).sort();
      expect(directories.length).toBeGreaterThan(0);
      expect(directories.every((name) => /^alerts-\d+\.jsonl$/.test(name))).toBe(true);
      const alerts: Record<string, unknown>[] = [];
      for (const directory of directories) {
        expect((await readdir(join(output, 'alerts', directory))).sort()).toEqual([
          '_SUCCESS',
          'part-00000',
        ]);
        alerts.push(...(await jsonLines(join(output, 'alerts', directory, 'part-00000'))));
      }
      const raised = (kind: string): number =>
        alerts.filter((alert) => alert.alert === kind && alert.status === 'raised').length;
      expect(raised('temperature-high')).toBeGreaterThan(0);
      expect(raised('battery-low')).toBeGreaterThan(0);
      for (const alert of alerts) {
        expect(alert).toMatchObject({
          device: expect.stringMatching(/^sensor-\d{4}$/),
          status: 'raised',
        });
        expect(new Date(alert.time as string).toISOString()).toBe(alert.time);
      }
      expect(stdout).toContain(
        `temperature-high ${raised('temperature-high')} raised / 0 cleared, battery-low ${raised('battery-low')} raised`,
      );
      expect(stdout).toContain(`(${directories.length} alert director`);
    },
  );

  it.concurrent('stops gracefully on Ctrl-C (SIGINT) with its summary', async ({ expect }) => {
    const app = start([
      '--port',
      '0',
      '--devices',
      '50',
      '--output',
      join(outputRoot, 'interrupted'),
    ]);
    await app.waitFor(/ batch 2 records /, 15_000);
    app.child.kill('SIGINT');
    expect(await app.exited, describeRun(app)).toBe(0);
    expect(app.stdout).toContain('Stopping gracefully: processing what was received');
    expect(app.stdout).toMatch(/^ {2}readings +\d+ processed/m);
    expect(app.stderr).not.toMatch(/\[error\]/);
  });

  it.concurrent(
    'prints its options with --help, and exits 2 naming a bad option',
    async ({ expect }) => {
      const help = start(['--', '--help']);
      expect(await help.exited, describeRun(help)).toBe(0);
      expect(help.stdout).toMatch(/^Usage: /);
      expect(help.stdout).toContain('--duration <duration>');
      const bad = start(['--window', '10x']);
      expect(await bad.exited, describeRun(bad)).toBe(2);
      expect(bad.stderr).toContain('Invalid --window: "10x"');
      expect(bad.stderr).toContain('Run with --help for the options.');
    },
  );
});

const mosquitto = await requireBroker('mqtt', 'iot-sensors against Mosquitto');

describe.runIf(mosquitto)('the application against a real broker (Mosquitto)', () => {
  it('reads the readings its simulator publishes there, over MQTT 5', async () => {
    const url = brokerAddresses().mqtt;
    const unique = `${process.pid}-${Date.now().toString(36)}`;
    const app = start([
      '--mqtt-url',
      url,
      '--client-id',
      `iot-sensors-smoke-${unique}`,
      '--topic-prefix',
      `smoke-${unique}/sensors`,
      '--devices',
      '100',
      '--duration',
      '5s',
      '--output',
      join(outputRoot, 'mosquitto'),
    ]);
    expect(await app.exited, describeRun(app)).toBe(0);
    expect(app.stdout).toContain(`  broker     ${url}\n`);
    const lines = statusLines(app.stdout);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.some((line) => line.devices === 100)).toBe(true);
    expect(app.stderr).not.toMatch(/\[error\]/);
  });
});
