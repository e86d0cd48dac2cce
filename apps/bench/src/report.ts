import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchmarkResult } from './benchmark.js';

/** A markdown section with a benchmark's table, goals and notes. */
export function markdownTable(result: BenchmarkResult): string {
  const lines = [`### ${result.title}`, ''];
  if (result.skipped !== undefined) {
    lines.push(`Skipped: ${result.skipped}`);
    return lines.join('\n');
  }
  const header = Object.keys(result.rows[0] ?? {});
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
  for (const row of result.rows)
    lines.push(`| ${header.map((column) => String(row[column] ?? '')).join(' | ')} |`);
  if (result.goals !== undefined && result.goals.length > 0) {
    lines.push('');
    for (const goal of result.goals)
      lines.push(`- Goal: ${goal.description}: ${goal.met ? 'met' : 'MISSED'}`);
  }
  if (result.notes !== undefined && result.notes.length > 0) {
    lines.push('');
    for (const note of result.notes) lines.push(`- ${note}`);
  }
  return lines.join('\n');
}

/** The machine the figures come from. */
export function machineDescription(): string {
  const cores = cpus();
  return `${cores.length} cores (${cores[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** The 1, 5 and 15 minute load averages: other work on the machine shows in the figures. */
export function loadAverages(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' / ');
}

/**
 * Writes the results as JSON under `directory`: one file per run (named by date) and
 * `latest.json`, a copy of the last run. Returns the path of the dated file.
 */
export function writeResults(
  directory: string,
  results: readonly BenchmarkResult[],
  run: { readonly quick: boolean; readonly command: string; readonly loadAtStart: string },
): string {
  mkdirSync(directory, { recursive: true });
  const date = new Date();
  const file = join(directory, `bench-${date.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify(
    {
      machine: machineDescription(),
      date: date.toISOString(),
      command: run.command,
      quick: run.quick,
      loadAverages: { atStart: run.loadAtStart, atEnd: loadAverages() },
      results,
    },
    null,
    2,
  );
  writeFileSync(file, json);
  writeFileSync(join(directory, 'latest.json'), json);
  return file;
}
