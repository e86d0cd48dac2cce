import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory, systemErrorCode } from '../util/file-system.js';

/** The directory of one batch: `prefix-<timeMs>` or `prefix-<timeMs>.suffix`, as Spark names it. */
export function batchDirectory(prefix: string, time: number, suffix?: string): string {
  return suffix ? `${prefix}-${time}.${suffix}` : `${prefix}-${time}`;
}

/** A batch directory being written: invisible until {@link BatchDirectoryWriter.commit}. */
interface PendingDirectory {
  readonly temporary: string;
  readonly written: Set<number>;
}

/**
 * Writes batch directories atomically, as Spark's output committer does: each batch is written
 * into a hidden temporary directory next to its target (`.name.tmp-…`), a `_SUCCESS` marker is
 * added, and the directory is renamed into place. Readers therefore see a batch directory
 * complete or not at all, and writing a batch time again replaces the directory as a whole.
 * A crash leaves at most a hidden temporary directory, which file streams never read.
 */
export class BatchDirectoryWriter {
  private readonly pending = new Map<number, PendingDirectory>();
  private sequence = 0;

  constructor(
    private readonly prefix: string,
    private readonly suffix: string | undefined,
    /** Whether files and directories are flushed to disk before they become visible. */
    readonly fsync: boolean,
  ) {}

  /** The final directory of the batch at `time`: `prefix-<time>[.suffix]`. */
  target(time: number): string {
    return batchDirectory(this.prefix, time, this.suffix);
  }

  /** Starts the batch at `time` afresh, discarding anything written for it and not committed. */
  async begin(time: number): Promise<void> {
    await this.abort(time);
    await this.ensure(time);
  }

  /** The path to write partition `partition` of the batch at `time` to (inside the hidden directory). */
  async partPath(time: number, partition: number): Promise<string> {
    const pending = await this.ensure(time);
    return join(pending.temporary, `part-${String(partition).padStart(5, '0')}`);
  }

  /** Records that a partition is written; `true` once all `numPartitions` are. */
  markWritten(time: number, partition: number, numPartitions: number): boolean {
    const pending = this.pending.get(time);
    if (pending === undefined) return false;
    pending.written.add(partition);
    return pending.written.size >= numPartitions;
  }

  /** Adds the `_SUCCESS` marker and renames the batch directory into place, replacing an older one. */
  async commit(time: number): Promise<void> {
    const pending = await this.ensure(time);
    const target = this.target(time);
    await writeFile(join(pending.temporary, '_SUCCESS'), '');
    if (this.fsync) await syncDirectory(pending.temporary);
    const parent = dirname(target);
    const replaced = join(parent, `.${basename(target)}.old-${this.uniqueSuffix()}`);
    let hadPrevious = true;
    try {
      await rename(target, replaced);
    } catch (error) {
      if (systemErrorCode(error) !== 'ENOENT') throw error;
      hadPrevious = false;
    }
    await rename(pending.temporary, target);
    this.pending.delete(time);
    if (this.fsync) await syncDirectory(parent);
    if (hadPrevious) await rm(replaced, { recursive: true, force: true });
  }

  /** Removes what was written for the batch at `time` and not committed. */
  async abort(time: number): Promise<void> {
    const pending = this.pending.get(time);
    if (pending === undefined) return;
    this.pending.delete(time);
    await rm(pending.temporary, { recursive: true, force: true });
  }

  /** Removes every uncommitted batch directory. */
  async abortAll(): Promise<void> {
    for (const time of [...this.pending.keys()]) await this.abort(time);
  }

  private async ensure(time: number): Promise<PendingDirectory> {
    let pending = this.pending.get(time);
    if (pending === undefined) {
      const target = this.target(time);
      const temporary = join(dirname(target), `.${basename(target)}.tmp-${this.uniqueSuffix()}`);
      pending = { temporary, written: new Set() };
      this.pending.set(time, pending);
      await mkdir(temporary, { recursive: true });
    }
    return pending;
  }

  private uniqueSuffix(): string {
    return `${process.pid}-${Date.now()}-${this.sequence++}`;
  }
}
