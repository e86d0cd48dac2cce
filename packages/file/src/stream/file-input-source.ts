import { lstat, open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, sep } from 'node:path';
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
import { readFailure, readRecordsInBlocks } from './read-in-blocks.js';
import type { ReadErrorPolicy } from './read-error-policy.js';

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
  /** What to do with a file that cannot be read. */
  readonly onReadError: ReadErrorPolicy;
  /** With `onReadError: 'retry'`: how many times a file is tried before it is given up. */
  readonly maxReadAttempts: number;
  /** Whether symbolic links leading out of the directory are followed. */
  readonly followSymlinks: boolean;
  /** How many bytes are read from a file at a time. */
  readonly readBlockSize: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What the listing saw of a file: compared with what is read, to never take a changing file. */
interface ListedFile {
  /** The path in the watched directory. */
  readonly path: string;
  /** The path to open: the path itself, or where a symbolic link inside the directory leads. */
  readonly readPath: string;
  readonly size: number;
  readonly modificationTime: number;
  readonly inode: number;
  /** How many bytes to read: the size, or a re-run batch's recorded size. */
  readonly readLength: number;
  /** A file of a batch run again after a recovery: read as it is, never left for later. */
  readonly recorded: boolean;
  /** Why the file cannot be read, found while listing it. */
  readonly error?: FileError;
}

/** A file a batch took, as it was when read. */
interface TakenFile {
  modificationTime: number;
  readonly batchTime: number;
  /** Its size when read (`-1`: unknown, after a recovery from an older checkpoint). */
  size: number;
  /** Its inode when read (`-1`: unknown, after a recovery). */
  inode: number;
}

/** A file a batch could not read, as the batch metadata reports it. */
export type FileReadErrorInfo = {
  /** The file's absolute path. */
  readonly file: string;
  /** What went wrong. */
  readonly error: string;
  /** Which attempt to read the file this was (1 for the first). */
  readonly attempt: number;
  /** `'retry'`: a later batch tries again; `'skipped'`: the file is left out for good. */
  readonly outcome: 'retry' | 'skipped';
};

/** What the batch metadata says about the files of a batch. */
export type FileBatchMetadata = {
  /** The absolute paths of the files the batch holds, one partition each, in this order. */
  readonly files: readonly string[];
  /** Records of these files that could not be decoded and were skipped or dead-lettered. */
  readonly decodeFailures: number;
  /** Files the batch could not read (with `onReadError` `'retry'` or `'skip'`). */
  readonly readErrors: readonly FileReadErrorInfo[];
  /** Files that left the remember window without having been taken: their records are lost. */
  readonly expiredUntaken: readonly string[];
  /** Files found changed (grown, rewritten, replaced) after an earlier batch took them. */
  readonly changedAfterTaken: readonly string[];
  /** Symbolic links not followed because they lead out of the directory. */
  readonly refusedSymlinks: readonly string[];
};

/** What a file stream's checkpoint holds (plain data). */
export type FileInputSnapshot = {
  readonly directory: string;
  /** Modification times at or before this were ignored as already there (`null`: none). */
  readonly initialThreshold: number | null;
  /**
   * Files taken within the remember window: `[path, modification time, batch time, size]`
   * (older checkpoints lack the size). Batches generated after the checkpoint's batch run again
   * after a recovery and take exactly these files again, as Spark's file stream does with its
   * recorded file lists, reading no more than the recorded size.
   */
  readonly taken: readonly (
    readonly [string, number, number] | readonly [string, number, number, number]
  )[];
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
        (entry.length === 3 || (entry.length === 4 && typeof entry[3] === 'number')) &&
        typeof entry[0] === 'string' &&
        typeof entry[1] === 'number' &&
        typeof entry[2] === 'number',
    )
  );
}

const STAT_CONCURRENCY = 64;
/** How many file names a warning lists at most (the count says how many there are). */
const NAMES_IN_WARNING = 10;

/** What a listing found out about one directory entry. */
type Inspection =
  | { readonly kind: 'file'; readonly readPath: string; readonly stats: Stats }
  | { readonly kind: 'gone' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'unreadable'; readonly error: FileError; readonly modificationTime: number };

/** What one batch found wrong, for its metadata and the log. */
interface BatchProblems {
  readonly readErrors: FileReadErrorInfo[];
  readonly expiredUntaken: string[];
  readonly changedAfterTaken: string[];
  readonly refusedSymlinks: string[];
}

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
 * A file is read whole or not at all, as a stream of blocks: hidden and temporary names are
 * never read, exactly the size seen when listing is read, and a file whose size, modification
 * time or identity changes between listing and reading is left for a later batch. A taken file
 * that changes later is reported (it is not read again), as is a file that leaves the remember
 * window without having been taken. A file that cannot be read follows `onReadError`. Each
 * file becomes one partition; the batch metadata lists the files and what went wrong.
 */
export class FileInputSource<T> implements InputSource<T> {
  readonly kind = 'fileStream';
  private initialThreshold: number | undefined;
  /** Files taken recently: path → what they were when taken and the batch that took them. */
  private readonly taken = new Map<string, TakenFile>();
  /** After a recovery: the files each recorded batch took, given back when it runs again. */
  private readonly recoveredSelections = new Map<number, string[]>();
  /** Files within the remember window that no batch took yet: path → modification time. */
  private readonly untaken = new Map<string, number>();
  /** Files that could not be read: path → failed attempts and modification time. */
  private readonly failedReads = new Map<string, { attempts: number; modificationTime: number }>();
  /** Files given up after read errors: path → modification time (tried again if it changes). */
  private readonly givenUp = new Map<string, number>();
  /** Symbolic links leading out of the directory that were reported already. */
  private refusedLinks = new Set<string>();

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
        ([path, file]) => [path, file.modificationTime, file.batchTime, file.size] as const,
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
    for (const [path, modificationTime, batchTime, size] of snapshot.taken) {
      this.taken.set(path, { modificationTime, batchTime, size: size ?? -1, inode: -1 });
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
    const problems: BatchProblems = {
      readErrors: [],
      expiredUntaken: [],
      changedAfterTaken: [],
      refusedSymlinks: [],
    };
    const recovered = this.recoveredSelections.get(time);
    this.recoveredSelections.delete(time);
    const candidates =
      recovered === undefined
        ? await this.listNewFiles(time, threshold, problems)
        : await this.listRecorded(recovered);
    this.forgetOlderThan(threshold);
    // Logged before reading: a batch that fails later still reports what its listing found.
    this.logListingProblems(time, problems);
    const reader = this.settings.reader;
    const failuresBefore = reader.decodeFailures;
    const partitions: T[][] = [];
    const files: string[] = [];
    const read: ListedFile[] = [];
    for (const file of candidates) {
      let records: T[] | undefined;
      try {
        if (file.error !== undefined) throw file.error;
        records = await this.readWhole(file);
      } catch (error) {
        if (!(error instanceof FileError) || error.code !== 'FILE_READ_FAILED') throw error;
        this.onReadError(file, error, problems);
        continue;
      }
      if (records === undefined) continue;
      partitions.push(records);
      files.push(file.path);
      read.push(file);
    }
    await reader.pendingDeadLetters();
    for (const file of read) {
      this.taken.set(file.path, {
        modificationTime: file.modificationTime,
        batchTime: time,
        size: file.readLength,
        inode: file.inode,
      });
      this.untaken.delete(file.path);
      this.failedReads.delete(file.path);
    }
    if (files.length > 0) this.settings.logger.debug({ time, files }, 'File stream took new files');
    const metadata: FileBatchMetadata = {
      files,
      decodeFailures: reader.decodeFailures - failuresBefore,
      ...problems,
    };
    return {
      batch: partitions.length === 0 ? Batch.empty<T>() : Batch.fromPartitions(partitions),
      metadata,
    };
  }

  /**
   * The files whose modification time is in `(threshold, time]`, not yet taken, oldest first.
   * Also notes taken files that changed since, files leaving the remember window untaken and
   * symbolic links that lead out of the directory.
   */
  private async listNewFiles(
    time: number,
    threshold: number,
    problems: BatchProblems,
  ): Promise<ListedFile[]> {
    const directory = this.settings.directory;
    const names: string[] = [];
    const links: boolean[] = [];
    let realDirectory: string | undefined;
    try {
      const entries = await readdir(directory, { withFileTypes: true });
      for (const entry of entries) {
        const link = entry.isSymbolicLink();
        if (!entry.isFile() && !link) continue;
        const name = entry.name;
        if (isHiddenOrTemporaryFile(name) || !this.settings.accept(name)) continue;
        names.push(name);
        links.push(link);
      }
      if (!this.settings.followSymlinks && links.includes(true)) {
        realDirectory = await realpath(directory);
      }
    } catch (error) {
      throw new FileError(
        'FILE_LISTING_FAILED',
        directory,
        `Cannot list directory ${directory}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    const found: ListedFile[] = [];
    const refusedLinks = new Set<string>();
    for (let i = 0; i < names.length; i += STAT_CONCURRENCY) {
      const chunk = names.slice(i, i + STAT_CONCURRENCY);
      const inspections = await Promise.all(
        chunk.map((name, j) => inspect(join(directory, name), links[i + j], realDirectory, time)),
      );
      for (let j = 0; j < chunk.length; j++) {
        const path = join(directory, chunk[j]);
        const inspection = inspections[j];
        if (inspection.kind === 'gone') continue;
        if (inspection.kind === 'refused') {
          refusedLinks.add(path);
          if (!this.refusedLinks.has(path)) problems.refusedSymlinks.push(path);
          continue;
        }
        const stats = inspection.kind === 'file' ? inspection.stats : undefined;
        const modificationTime =
          inspection.kind === 'file' ? inspection.stats.mtimeMs : inspection.modificationTime;
        const taken = this.taken.get(path);
        if (taken !== undefined) {
          if (stats !== undefined && changedSinceTaken(stats, taken)) {
            problems.changedAfterTaken.push(path);
            taken.modificationTime = Math.max(taken.modificationTime, stats.mtimeMs);
            taken.size = stats.size;
            taken.inode = stats.ino;
          }
          continue;
        }
        const givenUp = this.givenUp.get(path);
        if (givenUp !== undefined) {
          if (givenUp === modificationTime) continue;
          this.givenUp.delete(path); // changed since: a new version, tried afresh
          this.failedReads.delete(path);
        }
        if (modificationTime <= threshold) {
          if (this.untaken.delete(path)) problems.expiredUntaken.push(path);
          continue;
        }
        if (modificationTime > time) continue;
        this.untaken.set(path, modificationTime);
        found.push(listedFile(path, inspection));
      }
    }
    this.refusedLinks = refusedLinks;
    problems.refusedSymlinks.sort();
    problems.expiredUntaken.sort();
    problems.changedAfterTaken.sort();
    found.sort(
      (a, b) =>
        a.modificationTime - b.modificationTime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
    return found;
  }

  /** Forgets what it noted about files older than the remember window (gone from the directory). */
  private forgetOlderThan(threshold: number): void {
    for (const [path, modificationTime] of this.untaken) {
      if (modificationTime <= threshold) this.untaken.delete(path);
    }
    for (const [path, failed] of this.failedReads) {
      if (failed.modificationTime <= threshold) this.failedReads.delete(path);
    }
    for (const [path, modificationTime] of this.givenUp) {
      if (modificationTime <= threshold) this.givenUp.delete(path);
    }
  }

  /**
   * The files a batch took before a recovery, to take them again, no longer than they were
   * then; a file that is gone is reported and left out.
   */
  private async listRecorded(paths: readonly string[]): Promise<ListedFile[]> {
    const found: ListedFile[] = [];
    for (const path of paths) {
      let info: Stats | undefined;
      try {
        info = await statIfPresent(path);
      } catch (error) {
        found.push({
          path,
          readPath: path,
          size: 0,
          modificationTime: this.taken.get(path)?.modificationTime ?? 0,
          inode: -1,
          readLength: 0,
          recorded: true,
          error: readFailure(path, error),
        });
        continue;
      }
      if (info === undefined || !info.isFile()) {
        this.settings.logger.warn(
          { file: path },
          'A file taken before the recovery is gone; its records are missing from the batch run again',
        );
        continue;
      }
      const recordedSize = this.taken.get(path)?.size ?? -1;
      if (recordedSize >= 0 && recordedSize !== info.size) {
        this.settings.logger.warn(
          { file: path, recordedSize, size: info.size },
          recordedSize < info.size
            ? `File ${path} grew since it was taken; the batch run again reads its first ${recordedSize} bytes, as the first run did`
            : `File ${path} shrank since it was taken; the batch run again reads what is left`,
        );
      }
      found.push({
        path,
        readPath: path,
        size: info.size,
        modificationTime: info.mtimeMs,
        inode: info.ino,
        readLength: recordedSize >= 0 ? Math.min(recordedSize, info.size) : info.size,
        recorded: true,
      });
    }
    return found;
  }

  /**
   * The records of the file, read as a stream of blocks, or `undefined` when it vanished or
   * changed since it was listed (it is then left for a later batch).
   */
  private async readWhole(file: ListedFile): Promise<T[] | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(file.readPath, 'r');
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return undefined;
      throw readFailure(file.path, error);
    }
    try {
      if (!file.recorded && changed(await fileStats(handle, file), file)) {
        return this.leaveForLater(file);
      }
      const records: T[] = [];
      const length = await readRecordsInBlocks(
        handle,
        file.path,
        file.readLength,
        this.settings.reader,
        records,
        this.settings.readBlockSize,
      );
      if (file.recorded) return records;
      if (length !== file.readLength || changed(await fileStats(handle, file), file)) {
        return this.leaveForLater(file);
      }
      return records;
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

  /** Applies `onReadError` to a file that cannot be read. */
  private onReadError(file: ListedFile, error: FileError, problems: BatchProblems): void {
    const { onReadError, maxReadAttempts, logger } = this.settings;
    if (onReadError === 'fail') throw error;
    const attempt = (this.failedReads.get(file.path)?.attempts ?? 0) + 1;
    const retry = onReadError === 'retry' && attempt < maxReadAttempts && !file.recorded;
    problems.readErrors.push({
      file: file.path,
      error: error.message,
      attempt,
      outcome: retry ? 'retry' : 'skipped',
    });
    if (retry) {
      this.failedReads.set(file.path, {
        attempts: attempt,
        modificationTime: file.modificationTime,
      });
      logger.warn(
        { file: file.path, err: error, attempt, maxReadAttempts },
        `${error.message}; it is tried again in the next batch (attempt ${attempt} of ${maxReadAttempts})`,
      );
      return;
    }
    this.failedReads.delete(file.path);
    this.untaken.delete(file.path);
    if (!file.recorded) this.givenUp.set(file.path, file.modificationTime);
    logger.error(
      { file: file.path, err: error, attempt },
      onReadError === 'retry' && !file.recorded
        ? `${error.message}; giving up on the file after ${attempt} attempts: its records are not read`
        : `${error.message}; the file is skipped: its records are not read`,
    );
  }

  /** Warns about what a batch's listing found wrong, with counts and (some of) the names. */
  private logListingProblems(time: number, problems: BatchProblems): void {
    const logger = this.settings.logger;
    const directory = this.settings.directory;
    const { expiredUntaken, changedAfterTaken, refusedSymlinks } = problems;
    if (expiredUntaken.length > 0) {
      logger.warn(
        { time, directory, count: expiredUntaken.length, files: namesForLog(expiredUntaken) },
        `${expiredUntaken.length} file(s) in ${directory} left the remember window without having been taken; their records are not read`,
      );
    }
    if (changedAfterTaken.length > 0) {
      logger.warn(
        { time, directory, count: changedAfterTaken.length, files: namesForLog(changedAfterTaken) },
        `${changedAfterTaken.length} file(s) in ${directory} changed after a batch took them; what changed is not read. Move complete files into the directory atomically (write elsewhere, then rename)`,
      );
    }
    if (refusedSymlinks.length > 0) {
      logger.warn(
        { time, directory, count: refusedSymlinks.length, files: namesForLog(refusedSymlinks) },
        `${refusedSymlinks.length} symbolic link(s) in ${directory} lead out of the directory and are not read (set followSymlinks: true to follow them)`,
      );
    }
  }
}

/** What the listing learns about one entry; `link` says whether it is a symbolic link. */
async function inspect(
  path: string,
  link: boolean,
  realDirectory: string | undefined,
  time: number,
): Promise<Inspection> {
  let readPath = path;
  try {
    if (link && realDirectory !== undefined) {
      readPath = await realpath(path);
      if (!readPath.startsWith(realDirectory + sep)) return { kind: 'refused' };
    }
    const stats = await stat(readPath);
    return stats.isFile() ? { kind: 'file', readPath, stats } : { kind: 'gone' };
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return { kind: 'gone' };
    // The modification time of the entry itself places it in a batch.
    const own = await lstat(path).catch(() => undefined);
    return {
      kind: 'unreadable',
      error: readFailure(path, error),
      modificationTime: own?.mtimeMs ?? time,
    };
  }
}

/** The file to read that a listing found. */
function listedFile(
  path: string,
  inspection: Extract<Inspection, { kind: 'file' | 'unreadable' }>,
): ListedFile {
  if (inspection.kind === 'unreadable') {
    const { modificationTime, error } = inspection;
    return {
      path,
      readPath: path,
      size: 0,
      modificationTime,
      inode: -1,
      readLength: 0,
      recorded: false,
      error,
    };
  }
  const { stats, readPath } = inspection;
  return {
    path,
    readPath,
    size: stats.size,
    modificationTime: stats.mtimeMs,
    inode: stats.ino,
    readLength: stats.size,
    recorded: false,
  };
}

async function fileStats(handle: FileHandle, file: ListedFile): Promise<Stats> {
  try {
    return await handle.stat();
  } catch (error) {
    throw readFailure(file.path, error);
  }
}

function changed(now: Stats, listed: ListedFile): boolean {
  return (
    now.size !== listed.size || now.mtimeMs !== listed.modificationTime || now.ino !== listed.inode
  );
}

function changedSinceTaken(now: Stats, taken: TakenFile): boolean {
  return (
    now.mtimeMs !== taken.modificationTime ||
    (taken.size >= 0 && now.size !== taken.size) ||
    (taken.inode >= 0 && now.ino !== taken.inode)
  );
}

function namesForLog(paths: readonly string[]): readonly string[] {
  return paths.length <= NAMES_IN_WARNING ? paths : paths.slice(0, NAMES_IN_WARNING);
}

async function statIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
