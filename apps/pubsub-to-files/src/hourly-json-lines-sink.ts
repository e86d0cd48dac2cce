import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DStreamError,
  syncDirectory,
  type Sink,
  type SinkBatchContext,
  type SinkWriteContext,
} from '@dstream/core';

/** Settings of {@link HourlyJsonLinesSink}. */
export interface HourlyJsonLinesSinkOptions {
  /** Flush files and directories to disk before they become visible (default true). */
  readonly fsync?: boolean;
}

interface StagedFile {
  readonly temporary: string;
  readonly target: string;
  readonly directory: string;
}

/**
 * A sink writing records as JSON lines into one directory per hour of their time (UTC), in the
 * layout that Spark, Hive, DuckDB and others read as partitions:
 *
 * ```text
 * <root>/date=2024-05-01/hour=13/part-<batchTimeMs>-<partition>.jsonl
 * ```
 *
 * Each partition of each batch writes one file per hour it has records for, under a hidden
 * temporary name (`.part-….tmp-…`) that readers skip; attached with `stream.to()`, the files of a
 * batch are renamed into place once the whole batch is written, so a batch appears all at once.
 * File names depend only on the batch time, the partition and the hour, so writing a batch
 * again replaces its files: the guarantee is `'idempotent'`. Late records go to the directory of
 * their own hour.
 */
export class HourlyJsonLinesSink<T> implements Sink<T> {
  readonly guarantee = 'idempotent' as const;
  readonly name: string;
  private readonly fsync: boolean;
  private readonly staged = new Map<number, StagedFile[]>();
  private filesWritten = 0;
  private sequence = 0;

  /**
   * @param root The directory the hour directories go in.
   * @param timeOf The time of a record, in milliseconds since the epoch: it picks the hour.
   */
  constructor(
    readonly root: string,
    private readonly timeOf: (record: T) => number,
    options: HourlyJsonLinesSinkOptions = {},
  ) {
    this.fsync = options.fsync ?? true;
    this.name = `hourlyJsonLines(${root})`;
  }

  /** Files made visible so far. */
  get files(): number {
    return this.filesWritten;
  }

  beginBatch(batch: SinkBatchContext): void {
    this.staged.set(batch.batchTime, []);
  }

  async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
    if (records.length === 0) return;
    const byHour = new Map<string, string>();
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const time = this.timeOf(record);
      if (!Number.isFinite(time)) {
        throw new DStreamError(
          'RECORD_NOT_WRITABLE',
          `Record ${i} of partition ${context.partition} of the batch at ${context.batchTime} ms has no valid time for ${this.name}`,
        );
      }
      const hour = hourDirectory(time);
      let line: string | undefined;
      try {
        line = JSON.stringify(record);
      } catch (error) {
        throw new DStreamError(
          'RECORD_NOT_WRITABLE',
          `Record ${i} of partition ${context.partition} of the batch at ${context.batchTime} ms has no JSON form: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (line === undefined) {
        throw new DStreamError(
          'RECORD_NOT_WRITABLE',
          `Record ${i} of partition ${context.partition} of the batch at ${context.batchTime} ms has no JSON form`,
        );
      }
      byHour.set(hour, (byHour.get(hour) ?? '') + line + '\n');
    }
    const staged = this.staged.get(context.batchTime);
    for (const [hour, text] of byHour) {
      const directory = join(this.root, hour);
      const name = `part-${context.batchTime}-${String(context.partition).padStart(5, '0')}.jsonl`;
      const file: StagedFile = {
        directory,
        target: join(directory, name),
        temporary: join(directory, `.${name}.tmp-${process.pid}-${this.sequence++}`),
      };
      await this.guard(file.target, async () => {
        await mkdir(directory, { recursive: true });
        const handle = await open(file.temporary, 'w');
        try {
          await handle.writeFile(text);
          if (this.fsync) await handle.sync();
        } finally {
          await handle.close();
        }
      });
      if (staged === undefined) await this.publish([file]);
      else staged.push(file);
    }
  }

  async commitBatch(batch: SinkBatchContext): Promise<void> {
    const files = this.staged.get(batch.batchTime) ?? [];
    this.staged.delete(batch.batchTime);
    await this.publish(files);
  }

  async abortBatch(batch: SinkBatchContext): Promise<void> {
    const files = this.staged.get(batch.batchTime) ?? [];
    this.staged.delete(batch.batchTime);
    await Promise.all(files.map((file) => rm(file.temporary, { force: true })));
  }

  async close(): Promise<void> {
    const files = [...this.staged.values()].flat();
    this.staged.clear();
    await Promise.all(files.map((file) => rm(file.temporary, { force: true })));
  }

  private async publish(files: readonly StagedFile[]): Promise<void> {
    const directories = new Set<string>();
    for (const file of files) {
      await this.guard(file.target, () => rename(file.temporary, file.target));
      directories.add(file.directory);
      this.filesWritten++;
    }
    if (this.fsync) for (const directory of directories) await syncDirectory(directory);
  }

  private async guard(target: string, operation: () => Promise<void>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      throw new DStreamError(
        'FILE_WRITE_FAILED',
        `Cannot write ${target}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/** The directory of the hour (UTC) a time falls in: `date=YYYY-MM-DD/hour=HH`. */
export function hourDirectory(time: number): string {
  const iso = new Date(time).toISOString();
  return `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}
