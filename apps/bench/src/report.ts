import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchmarkResult } from './benchmark.js';

/** A markdown table of a benchmark's rows. */
export function markdownTable(result: BenchmarkResult): string {
  const header = Object.keys(result.rows[0] ?? {});
  const lines = [`### ${result.title}`, '', `| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of result.rows) lines.push(`| ${header.map((column) => String(row[column])).join(' | ')} |`);
  if (result.goal) lines.push('', `Goal: ${result.goal.description} — ${result.goal.met ? 'met' : 'MISSED'}`);
  return lines.join('\n');
}

/** The machine the figures come from. */
export function machineDescription(): string {
  const cores = cpus();
  return `${cores.length} cores (${cores[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Writes the results as JSON under `directory`, one file per run. */
export function writeResults(directory: string, results: BenchmarkResult[]): string {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine: machineDescription(), date: new Date().toISOString(), results }, null, 2));
  return file;
}
