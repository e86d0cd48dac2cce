import { readdir, open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import {
  Batch,
  systemErrorCode,
  type Clock,
  type InputBatch,
  type InputSource,
  type Logger,
} from '@dstream/core';
import { FileError, messageOf } from '../file-error.js';
import type { FileRecordReader } from '../format/file-record-reader.js';
import { isHiddenOrTemporaryFile } from './file-name-filter.js';

/** The settings of a {@link FileInputSource}, validated. */
export interface FileInputSourceSettings<T> {
  /** The absolute path of the directory to watch. */
  readonly directory: string;
  /** Decodes a file's content into records. */
  readonly reader: FileRecordReader<T>;
  /** Which file names to read (hidden and temporary files are never read). */
  readonly accept: (name: string) => boolean;
  /** Whether files already there when the context starts are ignored. */
  readonly newFilesOnly: boolean;
  /** How far back, in milliseconds, modification times are considered (a batch-interval multiple). */
  readonly rememberDuration: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What the listing saw of a file: compared with what is read, to never take a changing file. */
interface ListedFile {
  readonly path: string;
  readonly size: number;
  readonly modificationTime: number;
  readonly inode: number;
}

/** A file a batch took. */
interface TakenFile {
  readonly modificationTime: number;
  readonly batchTime: number;
}

/** What the batch metadata says about the files of a batch. */
export type FileBatchMetadata = {
  /** The absolute paths of the files the batch holds, one partition each, in this order. */
  readonly files: readonly string[];
  /** Records of these files that could not be decoded and were skipped or dead-lettered. */
  readonly decodeFailures: number;
};

/** What a file stream's checkpoint holds (plain data). */
export type FileInputSnapshot = {
  readonly directory: string;
  /** Modification times at or before this were ignored as already there (`null`: none). */
  readonly initialThreshold: number | null;
  /**
   * Files taken within the remember window: `[path, modification time, batch time]`. Batches
   * generated after the checkpoint's batch run again after a recovery and take exactly these
   * files again, as Spark's file stream does with its recorded file lists.
   */
  readonly taken: readonly (readonly [string, number, number])[];
};

function isFileInputSnapshot(value: unknown): value is FileInputSnapshot {
  if (value === null || typeof value !== 'object') return false;
  const snapshot = value as Record<string, unknown>;
  return (
    typeof snapshot.directory === 'string' &&
    (snapshot.initialThreshold === null || typeof snapshot.initialThreshold === 'number') &&
    Array.isArray(snapshot.taken) &&
    snapshot.taken.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 3 &&
        typeof entry[0] === 'string' &&
        typeof entry[1] === 'number' &&
        typeof entry[2] === 'number',
    )
  );
}

const STAT_CONCURRENCY = 64;

/**
 * A direct input source watching a directory, with Spark's FileInputDStream semantics. The
 * batch at time `T` takes the files of the directory whose modification time is in
 * `(threshold, T]` and that no earlier batch took, where `threshold` is the later of
 * `T - rememberDuration` and (with `newFilesOnly`) the time the context started. A file
 * normally lands in the batch whose interval holds its modification time; one that shows up
 * late (moved in with an older modification time) is taken by the next batch as long as its
 * modification time is within the remember window, and ignored after that. Which files were
 * taken is remembered only for that window, so memory stays bounded.
 *
 * A file is read whole or not at all: hidden and temporary names are never read, and a file
 * whose size, modification time or identity changes between listing and reading is left for a
 * later batch. Each file becomes one partition; the batch metadata lists the files.
 */
export class FileInputSource<T> implements InputSource<T> {
  readonly kind = 'fileStream';
  private initialThreshold: number | undefined;
  /** Files taken recently: path → modification time when taken and the batch that took it. */
  private readonly taken = new Map<string, TakenFile>();
  /** After a recovery: the files each recorded batch took, given back when it runs again. */
  private readonly recoveredSelections = new Map<number, string[]>();

  constructor(private readonly settings: FileInputSourceSettings<T>) {}

  /** The watched directory. */
  get directory(): string {
    return this.settings.directory;
  }

  /** How many taken files are remembered now (bounded by the remember window). */
  get rememberedFileCount(): number {
    return this.taken.size;
  }

  start(): void {
    // After a recovery the threshold of the first run stays: files that arrived while the
    // process was down are new, not "already there at start".
    this.initialThreshold ??= this.settings.newFilesOnly ? this.settings.clock.now() : -Infinity;
  }

  /**
   * What a checkpoint records: the start threshold and the files taken within the remember
   * window, so that after a recovery no file is taken twice and the batches after the
   * checkpoint take the files their modification times assign them.
   */
  snapshot(): FileInputSnapshot {
    return {
      directory: this.settings.directory,
      initialThreshold: this.initialThreshold ?? null,
      taken: [...this.taken].map(
        ([path, file]) => [path, file.modificationTime, file.batchTime] as const,
      ),
    };
  }

  /** Takes back a {@link snapshot} after a recovery, before the first batch. */
  restore(snapshot: unknown): void {
    if (!isFileInputSnapshot(snapshot)) {
      throw new FileError(
        'FILE_STREAM_SNAPSHOT_INVALID',
        this.settings.directory,
        `The checkpointed state of the file stream on ${this.settings.directory} is not a file stream snapshot`,
      );
    }
    if (snapshot.directory !== this.settings.directory) {
      this.settings.logger.warn(
        { checkpointed: snapshot.directory, directory: this.settings.directory },
        'The file stream watches another directory than when the checkpoint was written',
      );
    }
    this.initialThreshold = snapshot.initialThreshold ?? -Infinity;
    this.taken.clear();
    this.recoveredSelections.clear();
    for (const [path, modificationTime, batchTime] of snapshot.taken) {
      this.taken.set(path, { modificationTime, batchTime });
      const selection = this.recoveredSelections.get(batchTime);
      if (selection === undefined) this.recoveredSelections.set(batchTime, [path]);
      else selection.push(path);
    }
  }

  async computeBatch(time: number): Promise<InputBatch<T>> {
    this.initialThreshold ??= this.settings.newFilesOnly ? this.settings.clock.now() : -Infinity;
    const threshold = Math.max(this.initialThreshold, time - this.settings.rememberDuration);
    for (const [path, file] of this.taken) {
      if (file.modificationTime <= threshold && file.batchTime < time) this.taken.delete(path);
    }
    const recovered = this.recoveredSelections.get(time);
    this.recoveredSelections.delete(time);
    const candidates =
      recovered === undefined
        ? await this.listNewFiles(time, threshold)
        : await this.listRecorded(recovered);
    const reader = this.settings.reader;
    const failuresBefore = reader.decodeFailures;
    const partitions: T[][] = [];
    const files: string[] = [];
    const read: ListedFile[] = [];
    for (const file of candidates) {
      const content = await this.readUnchanged(file);
      if (content === undefined) continue;
      const records: T[] = [];
      reader.readRecords(content, file.path, records);
      partitions.push(records);
      files.push(file.path);
      read.push(file);
    }
    await reader.pendingDeadLetters();
    for (const file of read) {
      this.taken.set(file.path, { modificationTime: file.modificationTime, batchTime: time });
    }
    if (files.length > 0) this.settings.logger.debug({ time, files }, 'File stream took new files');
    const metadata: FileBatchMetadata = {
      files,
      decodeFailures: reader.decodeFailures - failuresBefore,
    };
    return {
      batch: partitions.length === 0 ? Batch.empty<T>() : Batch.fromPartitions(partitions),
      metadata,
    };
  }

  /** The files whose modification time is in `(threshold, time]`, not yet taken, oldest first. */
  private async listNewFiles(time: number, threshold: number): Promise<ListedFile[]> {
    const directory = this.settings.directory;
    let names: string[];
    try {
      const entries = await readdir(directory, { withFileTypes: true });
      names = [];
      for (const entry of entries) {
        if (!entry.isFile() && !entry.isSymbolicLink()) continue;
        const name = entry.name;
        if (isHiddenOrTemporaryFile(name) || !this.settings.accept(name)) continue;
        if (this.taken.has(join(directory, name))) continue;
        names.push(name);
      }
    } catch (error) {
      throw new FileError(
        'FILE_LISTING_FAILED',
        directory,
        `Cannot list directory ${directory}: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
    const found: ListedFile[] = [];
    for (let i = 0; i < names.length; i += STAT_CONCURRENCY) {
      const chunk = names.slice(i, i + STAT_CONCURRENCY);
      const stats = await Promise.all(chunk.map((name) => statIfPresent(join(directory, name))));
      for (let j = 0; j < chunk.length; j++) {
        const info = stats[j];
        if (info === undefined || !info.isFile()) continue;
        const modificationTime = info.mtimeMs;
        if (modificationTime <= threshold || modificationTime > time) continue;
        found.push({
          path: join(directory, chunk[j]),
          size: info.size,
          modificationTime,
          inode: info.ino,
        });
      }
    }
    found.sort(
      (a, b) =>
        a.modificationTime - b.modificationTime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
    return found;
  }

  /**
   * The files a batch took before a recovery, to take them again; a file that is gone is
   * reported and left out.
   */
  private async listRecorded(paths: readonly string[]): Promise<ListedFile[]> {
    const found: ListedFile[] = [];
    for (const path of paths) {
      const info = await statIfPresent(path);
      if (info === undefined || !info.isFile()) {
        this.settings.logger.warn(
          { file: path },
          'A file taken before the recovery is gone; its records are missing from the batch run again',
        );
        continue;
      }
      found.push({ path, size: info.size, modificationTime: info.mtimeMs, inode: info.ino });
    }
    return found;
  }

  /** The file's content, or `undefined` when it vanished or changed since it was listed. */
  private async readUnchanged(file: ListedFile): Promise<Buffer | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(file.path, 'r');
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return undefined;
      throw readError(file.path, error);
    }
    try {
      if (changed(await handle.stat(), file)) return this.leaveForLater(file);
      const content = await handle.readFile();
      if (content.length !== file.size || changed(await handle.stat(), file))
        return this.leaveForLater(file);
      return content;
    } catch (error) {
      throw readError(file.path, error);
    } finally {
      await handle.close();
    }
  }

  private leaveForLater(file: ListedFile): undefined {
    this.settings.logger.info(
      { file: file.path },
      'File changed while being read; it is left for a later batch',
    );
    return undefined;
  }
}

function changed(now: Stats, listed: ListedFile): boolean {
  return (
    now.size !== listed.size || now.mtimeMs !== listed.modificationTime || now.ino !== listed.inode
  );
}

async function statIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw readError(path, error);
  }
}

function readError(path: string, error: unknown): FileError {
  return new FileError('FILE_READ_FAILED', path, `Cannot read file ${path}: ${messageOf(error)}`, {
    cause: error,
  });
}
