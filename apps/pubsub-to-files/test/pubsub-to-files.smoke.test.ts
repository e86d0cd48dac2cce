import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerAddresses, requireBroker } from '../../../infra/test-support/brokers.mjs';
import { hourDirectory } from '../src/hourly-json-lines-sink.js';
import type { EnrichedSale } from '../src/sale-enrichment.js';
import {
  buildApp,
  describeRun,
  killApp,
  startApp,
  type AppProcess,
} from '@dstream/example-support/testing';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The application's own variables, not passed on from the test's environment. */
const isAppVariable = (name: string): boolean =>
  name.startsWith('SALES_') || name === 'PUBSUB_EMULATOR_HOST' || name === 'PUBSUB_PROJECT_ID';

const STATUS_LINE =
  /^\d\d:\d\d:\d\d batch (\d+) sales (\d+) unmatched (\d+) malformed (\d+) files (\d+) processing (\d+) ms delay (\d+) ms$/;

const available = await requireBroker('pubsub', 'pubsub-to-files smoke test');

function summaryNumber(stdout: string, pattern: RegExp): number {
  const match = pattern.exec(stdout);
  if (match === null) throw new Error(`No ${pattern} in:\n${stdout}`);
  return Number(match[1]);
}

/** Every file under `root`, as paths relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

describe.runIf(available)('the Pub/Sub-to-files application', () => {
  const unique = `${Date.now().toString(36)}-${process.pid}`;
  const processes: AppProcess[] = [];
  let output: string;

  beforeAll(async () => {
    buildApp(APP_DIR);
    output = await mkdtemp(join(tmpdir(), 'pubsub-to-files-smoke-'));
  });

  afterAll(async () => {
    processes.forEach(killApp);
    await rm(output, { recursive: true, force: true });
  });

  function run(args: string[]): AppProcess {
    const app = startApp({
      appDir: APP_DIR,
      isAppVariable,
      args: [
        '--emulator-host',
        brokerAddresses().pubsub,
        '--topic',
        `smoke-sales-${unique}`,
        '--subscription',
        `smoke-sales-${unique}-files`,
        '--output',
        output,
        '--batch-interval',
        '1s',
        ...args,
      ],
    });
    processes.push(app);
    return app;
  }

  it('enriches every published sale with its store and writes it into the file of its hour, losing none', async () => {
    const first = run([
      '--rate',
      '150',
      '--unknown-store-rate',
      '0.05',
      '--malformed-rate',
      '0.01',
      '--duration',
      '6s',
    ]);
    expect(await first.exited, describeRun(first)).toBe(0);
    expect(first.stderr).not.toMatch(/\[error\]/);
    expect(first.stdout).toContain(
      `(created topic smoke-sales-${unique}, subscription smoke-sales-${unique}-files)`,
    );
    expect(first.stdout).toMatch(/^ {2}stores {5}20 stores from .*data\/stores\.csv$/m);
    const lines = first.stdout
      .split('\n')
      .map((line) => STATUS_LINE.exec(line))
      .filter((match) => match !== null);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const published = summaryNumber(first.stdout, /\((\d+) published\)/);
    const received = summaryNumber(first.stdout, /sales +(\d+) received/);
    const malformed = summaryNumber(first.stdout, /(\d+) malformed messages/);
    const unmatched = summaryNumber(first.stdout, /(\d+) did not/);
    expect(published).toBeGreaterThan(500);
    expect(lines.reduce((sum, match) => sum + Number(match[2]), 0)).toBe(received);
    expect(malformed).toBeGreaterThan(0);
    expect(unmatched).toBeGreaterThan(0);
    // Dead letters name the message they come from: `subscription … message <id>`.
    const deadLetterSources = async (): Promise<string[]> =>
      (await readFile(join(output, 'malformed.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { source: string }).source);
    const firstDeadLetters = await deadLetterSources();
    expect(firstDeadLetters).toHaveLength(malformed);
    expect(firstDeadLetters[0]).toMatch(
      /^subscription projects\/dstream-samples\/subscriptions\/smoke-sales-.* message \S+$/,
    );

    const written = async (): Promise<EnrichedSale[]> => {
      const sales: EnrichedSale[] = [];
      const root = join(output, 'sales');
      for (const file of await filesUnder(root)) {
        expect(file).toMatch(/^date=\d{4}-\d\d-\d\d\/hour=\d\d\/part-\d+-\d{5}\.jsonl$/);
        for (const line of (await readFile(join(root, file), 'utf8')).split('\n')) {
          if (line === '') continue;
          const sale = JSON.parse(line) as EnrichedSale;
          // Each sale is in the directory of its own hour.
          expect(file.startsWith(hourDirectory(Date.parse(sale.time)))).toBe(true);
          sales.push(sale);
        }
      }
      return sales;
    };
    const afterFirst = await written();
    expect(afterFirst).toHaveLength(received);
    expect(afterFirst.filter((sale) => sale.store === null)).toHaveLength(unmatched);
    for (const sale of afterFirst) {
      if (sale.store === null) {
        expect(sale.region).toBe('unknown');
        expect(['S101', 'S102']).toContain(sale.storeId);
      } else {
        expect(sale.region).toBe(sale.store.region);
        expect(sale.storeId).toMatch(/^S0\d\d$/);
      }
    }
    expect(afterFirst.find((sale) => sale.storeId === 'S004')?.store).toEqual({
      name: 'Prenzlauer Berg, Kastanienallee',
      city: 'Berlin',
      country: 'DE',
      region: 'north',
    });

    // A second run without publishing takes what the first one left in the subscription (what was
    // on its way to the first run when it stopped comes back after the 10 s ack deadline): then
    // every published message has been written, sales to the hourly files and malformed ones to
    // the dead letters. Delivery is at least once, so a message may come twice.
    const second = run(['--no-publisher', '--duration', '12s']);
    expect(await second.exited, describeRun(second)).toBe(0);
    expect(second.stderr).not.toMatch(/\[error\]/);
    const sales = new Set((await written()).map((sale) => sale.saleId));
    const deadLetters = new Set([...firstDeadLetters, ...(await deadLetterSources())]);
    expect(
      sales.size + deadLetters.size,
      `first run:\n${first.stdout}\nsecond run:\n${second.stdout}`,
    ).toBe(published);
  }, 60_000);
});
