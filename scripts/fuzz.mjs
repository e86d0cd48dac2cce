#!/usr/bin/env node
// Runs the fuzz suite of every connector with 100 000 seeded payloads each (good records mixed
// with malformed ones) and prints, per connector: sent, good delivered, bad counted, duplicates,
// lost and peak RSS. Kafka, MQTT and Pub/Sub run against the real brokers (brought up if they
// are not running; left running). Options: --count N (payloads per suite), --seed N, and
// connector names to run only those (socket, file, kafka, mqtt, pubsub).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const CONNECTORS = ['socket', 'file', 'kafka', 'mqtt', 'pubsub'];

let count = '100000';
let seed;
const chosen = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--count') count = args[++i];
  else if (args[i] === '--seed') seed = args[++i];
  else if (CONNECTORS.includes(args[i])) chosen.push(args[i]);
  else {
    console.error(
      `[fuzz] unknown argument ${JSON.stringify(args[i])}; expected --count N, --seed N or ${CONNECTORS.join(', ')}`,
    );
    process.exit(2);
  }
}
if (!/^[1-9]\d*$/.test(count)) {
  console.error(`[fuzz] --count must be a positive whole number, not ${JSON.stringify(count)}`);
  process.exit(2);
}
const connectors = chosen.length > 0 ? chosen : CONNECTORS;

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  return result.status ?? 1;
}

const filters = connectors.flatMap((name) => ['--filter', `@dstream/${name}...`]);
if (run('pnpm', ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only']) !== 0) {
  process.exit(1);
}
if (connectors.some((name) => ['kafka', 'mqtt', 'pubsub'].includes(name))) {
  run('bash', ['infra/brokers.sh', 'up']);
}

const dir = mkdtempSync(join(tmpdir(), 'dstream-fuzz-'));
const reportFile = join(dir, 'reports.jsonl');
const failed = [];
for (const name of connectors) {
  console.log(
    `\n[fuzz] ${name}: ${count} payloads per suite${seed === undefined ? '' : `, seed ${seed}`}`,
  );
  const status = run('pnpm', ['exec', 'vitest', 'run', 'test/fuzz.test.ts'], {
    cwd: join(root, 'packages', name),
    env: {
      ...process.env,
      DSTREAM_FUZZ_COUNT: count,
      DSTREAM_FUZZ_REPORT: reportFile,
      ...(seed === undefined ? {} : { DSTREAM_FUZZ_SEED: seed }),
    },
  });
  if (status !== 0) failed.push(name);
}

const reports = existsSync(reportFile)
  ? readFileSync(reportFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line))
  : [];
rmSync(dir, { recursive: true, force: true });

const columns = [
  ['connector', (r) => r.connector],
  ['seed', (r) => r.seed],
  ['sent', (r) => r.sent],
  ['good', (r) => r.good],
  ['good delivered', (r) => r.goodDelivered],
  ['bad', (r) => r.bad],
  ['bad counted', (r) => r.badCounted],
  ['duplicates', (r) => r.duplicates],
  ['lost', (r) => r.lost],
  ['unexpected', (r) => r.unexpected],
  ['peak RSS MiB', (r) => r.peakRssMiB],
  ['RSS growth MiB', (r) => r.rssGrowthMiB],
];
const rows = reports.map((report) => columns.map(([, value]) => String(value(report))));
const widths = columns.map(([title], i) =>
  Math.max(title.length, ...rows.map((row) => row[i].length)),
);
const line = (cells) => `| ${cells.map((cell, i) => cell.padStart(widths[i])).join(' | ')} |`;
console.log('\n' + line(columns.map(([title]) => title)));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));

if (failed.length > 0) {
  console.error(`\n[fuzz] FAILED: ${failed.join(', ')} (see above)`);
  process.exit(1);
}
console.log(
  `\n[fuzz] every suite passed: no crash, no loss, no duplicate, every bad payload counted`,
);
