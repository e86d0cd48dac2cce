import { writeFile } from 'node:fs/promises';
import type { Batch } from '../batch/batch.js';
import { BatchDirectoryWriter } from './batch-directory-writer.js';

/**
 * Writes a batch as a directory `prefix-<timeMs>[.suffix]` of `part-NNNNN` files (one per
 * partition, one line per record) with a `_SUCCESS` marker, atomically through a
 * {@link BatchDirectoryWriter}: readers never see a partial directory, and writing a batch time
 * again replaces it.
 */
export async function saveBatchAsFiles<T>(
  batch: Batch<T>,
  time: number,
  prefix: string,
  suffix: string | undefined,
  format: (record: T) => string,
): Promise<void> {
  const writer = new BatchDirectoryWriter(prefix, suffix, true);
  await writer.begin(time);
  try {
    const partitions = batch.partitions;
    for (let p = 0; p < partitions.length; p++) {
      const records = partitions[p];
      let text = '';
      for (let i = 0; i < records.length; i++) text += format(records[i]) + '\n';
      await writeFile(await writer.partPath(time, p), text);
    }
    await writer.commit(time);
  } catch (error) {
    await writer.abort(time);
    throw error;
  }
}
