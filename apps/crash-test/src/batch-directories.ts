import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The lines of one batch directory written by a file sink. */
export interface BatchLines {
  readonly time: number;
  readonly lines: string[];
}

/**
 * The complete batch directories `prefix-<time>` in `directory` (those with a `_SUCCESS`
 * marker), in time order, with the lines of their part files.
 */
export async function readBatchDirectories(
  directory: string,
  prefix: string,
): Promise<BatchLines[]> {
  if (!existsSync(directory)) return [];
  const pattern = new RegExp(`^${prefix}-(\\d+)(\\..*)?$`);
  const batches: BatchLines[] = [];
  for (const name of await readdir(directory)) {
    const match = pattern.exec(name);
    if (!match || !existsSync(join(directory, name, '_SUCCESS'))) continue;
    const lines: string[] = [];
    for (const part of (await readdir(join(directory, name)))
      .filter((file) => file.startsWith('part-'))
      .sort()) {
      const text = await readFile(join(directory, name, part), 'utf8');
      for (const line of text.split('\n')) if (line.length > 0) lines.push(line);
    }
    batches.push({ time: Number(match[1]), lines });
  }
  return batches.sort((a, b) => a.time - b.time);
}
