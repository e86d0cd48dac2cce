import { mkdir, open, readdir, readFile, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { frame, unframe } from './framing.js';
import { syncDirectory } from '../util/file-system.js';

/** When appended records reach the disk. */
export type WriteAheadLogSync =
  /** fsync after every append. */
  | 'always'
  /** Group commit: appends of the last N milliseconds share one fsync. */
  | number;

/** Settings of a {@link WriteAheadLog}. */
export interface WriteAheadLogOptions {
  readonly directory: string;
  readonly sync: WriteAheadLogSync;
  /** Milliseconds after which a new segment file is started. */
  readonly rollInterval: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface Segment {
  readonly name: string;
  readonly startTime: number;
}

interface PendingAppend {
  readonly bytes: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const SEGMENT_PATTERN = /^log-(\d+)-(\d+)$/;

/**
 * An append-only log of length + CRC-32 framed records in segment files rolled by time. An
 * append resolves once its record is durable (fsynced, alone or in a group); on opening, every
 * segment is read back and a torn or corrupt tail is truncated, never returned as data. Segments
 * are deleted once a checkpoint covers them.
 */
export class WriteAheadLog {
  private handle: FileHandle | undefined;
  private current: Segment | undefined;
  private segmentSequence = 0;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly options: WriteAheadLogOptions,
    private segments: Segment[],
  ) {
    this.segmentSequence = segments.reduce(
      (max, segment) => Math.max(max, sequenceOf(segment.name) + 1),
      0,
    );
  }

  /** Opens the log in its directory and returns it with every valid record already there, in order. */
  static async open(
    options: WriteAheadLogOptions,
  ): Promise<{ log: WriteAheadLog; records: Buffer[] }> {
    await mkdir(options.directory, { recursive: true });
    const names = (await readdir(options.directory)).filter((name) => SEGMENT_PATTERN.test(name));
    const segments = names
      .map((name) => ({ name, startTime: Number(SEGMENT_PATTERN.exec(name)![1]) }))
      .sort((a, b) => a.startTime - b.startTime || sequenceOf(a.name) - sequenceOf(b.name));
    const records: Buffer[] = [];
    for (const segment of segments) {
      const path = join(options.directory, segment.name);
      const bytes = await readFile(path);
      const result = unframe(bytes);
      records.push(...result.records);
      if (result.problem !== undefined) {
        options.logger.warn(
          {
            segment: segment.name,
            problem: result.problem,
            validBytes: result.validLength,
            fileBytes: bytes.length,
          },
          'Write-ahead log segment has a damaged tail; truncating it',
        );
        await truncate(path, result.validLength);
      }
    }
    return { log: new WriteAheadLog(options, segments), records };
  }

  /** Appends one record; resolves once it is durable per the sync policy. */
  append(payload: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The write-ahead log is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ bytes: frame(payload), resolve, reject });
      this.scheduleFlush();
    });
  }

  /**
   * Deletes the segments whose records are all older than `time` (by the time they were
   * written): a segment is old once the segment after it started before `time`.
   */
  async deleteOlderThan(time: number): Promise<void> {
    await this.flushing;
    const keep: Segment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const next = this.segments[i + 1];
      if (next !== undefined && next.startTime < time && segment !== this.current) {
        await rm(join(this.options.directory, segment.name), { force: true });
      } else {
        keep.push(segment);
      }
    }
    this.segments = keep;
  }

  /** Writes what is pending and closes the current segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.flushTimer);
    await this.flush();
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }

  /** The segment file names, oldest first. */
  get segmentNames(): string[] {
    return this.segments.map((segment) => segment.name);
  }

  private scheduleFlush(): void {
    if (this.options.sync === 'always') {
      void this.flush();
    } else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, this.options.sync);
    }
  }

  private flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      const handle = await this.segmentForWrite();
      await handle.write(
        batch.length === 1 ? batch[0].bytes : Buffer.concat(batch.map((entry) => entry.bytes)),
      );
      await handle.sync();
      for (const entry of batch) entry.resolve();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  private async segmentForWrite(): Promise<FileHandle> {
    const now = this.options.clock.now();
    if (
      this.handle !== undefined &&
      this.current !== undefined &&
      now < this.current.startTime + this.options.rollInterval
    ) {
      return this.handle;
    }
    await this.handle?.close();
    const name = `log-${String(now).padStart(16, '0')}-${this.segmentSequence++}`;
    this.handle = await open(join(this.options.directory, name), 'a');
    await syncDirectory(this.options.directory);
    this.current = { name, startTime: now };
    this.segments.push(this.current);
    return this.handle;
  }
}

function sequenceOf(name: string): number {
  return Number(SEGMENT_PATTERN.exec(name)?.[2] ?? 0);
}
