import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { kafkaPipeline } from './kafka-pipeline.js';
import { latency } from './latency.js';
import { mqttIngestion } from './mqtt-ingestion.js';
import { canCollectGarbage } from './measure.js';
import { pubsubIngestion } from './pubsub-ingestion.js';
import { reliabilityCost } from './reliability-cost.js';
import { stateMemory } from './state-memory.js';
import { loadAverages, machineDescription, markdownTable, writeResults } from './report.js';
import { wordCountThroughput } from './word-count-throughput.js';

/** Every benchmark, in the order `pnpm bench` runs them. */
const benchmarks: Benchmark[] = [
  wordCountThroughput,
  latency,
  kafkaPipeline,
  mqttIngestion,
  pubsubIngestion,
  stateMemory,
  reliabilityCost,
];

/** Names that stand for several benchmarks. */
const groups: Record<string, string[]> = { connectors: ['kafka', 'mqtt', 'pubsub'] };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const flags = args.filter((arg) => arg.startsWith('--') && arg !== '--quick');
const names = args.filter((arg) => !arg.startsWith('--')).flatMap((name) => groups[name] ?? [name]);
const known = benchmarks.map((benchmark) => benchmark.name);
const unknown = names.filter((name) => !known.includes(name));
if (unknown.length > 0 || flags.length > 0) {
  console.error(
    `Unknown ${unknown.length > 0 ? `benchmark ${unknown.join(', ')}` : `option ${flags.join(', ')}`}. ` +
      `Usage: pnpm bench [--quick] [${[...known, ...Object.keys(groups)].join('|')} ...]`,
  );
  process.exit(2);
}
if (!canCollectGarbage()) console.warn('Run node with --expose-gc: memory figures need it.');
const selected =
  names.length === 0
    ? benchmarks
    : benchmarks.filter((benchmark) => names.includes(benchmark.name));

const command = `pnpm bench${args.length > 0 ? ` ${args.join(' ')}` : ''}`;
const loadAtStart = loadAverages();
console.log(`Machine: ${machineDescription()}${quick ? ' (quick run)' : ''}`);
console.log(`Load average (1 / 5 / 15 min): ${loadAtStart}\n`);
const results: BenchmarkResult[] = [];
let failures = 0;
for (const benchmark of selected) {
  console.log(`Running ${benchmark.name}: ${benchmark.description} ...`);
  const started = performance.now();
  let result: BenchmarkResult;
  try {
    result = await benchmark.run({ quick });
  } catch (error) {
    // One benchmark failing (a broker going away mid-run) does not lose the others' figures.
    failures++;
    console.error(error);
    const reason = error instanceof Error ? error.message : String(error);
    result = {
      name: benchmark.name,
      title: benchmark.description,
      rows: [],
      skipped: `failed: ${reason}`,
    };
  }
  results.push(result);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${markdownTable(result)}\n\n(${seconds} s)\n`);
}
const file = writeResults(
  fileURLToPath(new URL('../../../bench-results', import.meta.url)),
  results,
  { quick, command, loadAtStart },
);
console.log(`Load average at the end: ${loadAverages()}`);
console.log(`Results written to ${file}`);
if (failures > 0) process.exitCode = 1;
