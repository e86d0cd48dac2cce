import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Batch } from '../batch/batch.js';

/** The directory of one batch: `prefix-<timeMs>` or `prefix-<timeMs>.suffix`, as Spark names it. */
export function batchDirectory(prefix: string, time: number, suffix?: string): string {
  return suffix ? `${prefix}-${time}.${suffix}` : `${prefix}-${time}`;
}

/**
 * Writes a batch as a directory of `part-NNNNN` files (one per partition, one line per record)
 * and a `_SUCCESS` marker. Everything is written under a temporary name and renamed into place,
 * so readers never see a partial directory, and writing a batch time again replaces it.
 */
export async function saveBatchAsFiles<T>(
  batch: Batch<T>,
  time: number,
  prefix: string,
  suffix: string | undefined,
  format: (record: T) => string,
): Promise<void> {
  const target = batchDirectory(prefix, time, suffix);
  const parent = dirname(target);
  const unique = `${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const temporary = join(parent, `.${basename(target)}.tmp-${unique}`);
  await mkdir(temporary, { recursive: true });
  const partitions = batch.partitions;
  for (let p = 0; p < partitions.length; p++) {
    const records = partitions[p];
    let text = '';
    for (let i = 0; i < records.length; i++) text += format(records[i]) + '\n';
    await writeFile(join(temporary, `part-${String(p).padStart(5, '0')}`), text);
  }
  await writeFile(join(temporary, '_SUCCESS'), '');
  const replaced = join(parent, `.${basename(target)}.old-${unique}`);
  let hadPrevious = true;
  try {
    await rename(target, replaced);
  } catch {
    hadPrevious = false;
  }
  await rename(temporary, target);
  if (hadPrevious) await rm(replaced, { recursive: true, force: true });
}
