import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchmarkResult } from './benchmark.js';
import { machineDescription, markdownTable, writeResults } from './report.js';
import { wordCountThroughput } from './word-count-throughput.js';

const benchmarks: Benchmark[] = [wordCountThroughput];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((arg) => !arg.startsWith('--'));
const unknown = names.filter((name) => !benchmarks.some((benchmark) => benchmark.name === name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}; available: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = names.length === 0 ? benchmarks : benchmarks.filter((benchmark) => names.includes(benchmark.name));

console.log(`Machine: ${machineDescription()}\n`);
const results: BenchmarkResult[] = [];
for (const benchmark of selected) {
  console.log(`Running ${benchmark.name}: ${benchmark.description} ...`);
  const result = await benchmark.run({ quick });
  results.push(result);
  console.log(`\n${markdownTable(result)}\n`);
}
const file = writeResults(fileURLToPath(new URL('../../../bench-results', import.meta.url)), results);
console.log(`Results written to ${file}`);
