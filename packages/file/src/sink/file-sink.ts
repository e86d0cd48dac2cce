import { open } from 'node:fs/promises';
import {
  BatchDirectoryWriter,
  ConfigurationError,
  requireNonEmptyString,
  type Sink,
  type SinkBatchContext,
  type SinkWriteContext,
} from '@dstream/core';
import { FileError, messageOf } from '../file-error.js';

/** Settings every file sink takes. */
export interface FileSinkOptions {
  /** Appended to each batch directory's name after a dot: `prefix-<timeMs>.suffix`. */
  readonly suffix?: string;
  /**
   * Flush part files and directories to disk before they become visible (default `true`), so a
   * visible batch directory survives a power loss complete. `false` is faster and still atomic
   * with respect to process crashes.
   */
  readonly fsync?: boolean;
  /**
   * Whether a batch without records is written as a directory with empty part files and a
   * `_SUCCESS` marker, as Spark's `saveAsTextFiles` does (default `true`). With `false`, a batch
   * without records leaves no directory, and partitions without records leave no part file: a
   * stream that is empty most of the time (such as alerts) does not add a directory every batch
   * interval.
   */
  readonly writeEmptyBatches?: boolean;
}

/** How a file sink turns records into text. */
export interface RecordEncoder<T> {
  /** Written at the start of every part file (such as a CSV header line), or `undefined`. */
  readonly header: string | undefined;
  /** One record as one line of text, without its line ending; throws when it cannot. */
  encode(record: T): string;
}

/** Text is written to part files in pieces of about this many characters. */
const CHUNK_CHARACTERS = 1 << 16;

/**
 * A sink writing every batch as a directory `prefix-<timeMs>[.suffix]` of `part-NNNNN` files
 * (one per partition, one line per record) and a `_SUCCESS` marker. The directory is written
 * under a hidden temporary name and renamed into place once complete, so readers never see a
 * partial batch, and writing a batch time again replaces the directory: the guarantee is
 * `'idempotent'`.
 *
 * Attached with `stream.to(sink)`, a batch becomes visible when the engine commits it; used
 * directly, it becomes visible once all `numPartitions` partitions of the batch are written.
 */
export class FileSink<T> implements Sink<T> {
  readonly guarantee = 'idempotent' as const;
  readonly name: string;
  private readonly writer: BatchDirectoryWriter;
  private readonly writeEmptyBatches: boolean;
  /** Batches between beginBatch and commitBatch/abortBatch: committed by the engine. */
  private readonly inBatch = new Set<number>();
  /**
   * Without `writeEmptyBatches`, the batches committed by the engine whose directory is started
   * (by their first partition with records).
   */
  private readonly started = new Map<number, Promise<void>>();
  /**
   * Without `writeEmptyBatches` and used directly, the partitions without records of each batch
   * not yet complete, counted as written once the batch has a directory.
   */
  private readonly emptyParts = new Map<number, Set<number>>();

  constructor(
    kind: string,
    readonly prefix: string,
    options: FileSinkOptions,
    private readonly encoder: RecordEncoder<T>,
  ) {
    requireNonEmptyString('prefix', prefix);
    if (
      options.suffix !== undefined &&
      (typeof options.suffix !== 'string' ||
        options.suffix.length === 0 ||
        /[/\\]/.test(options.suffix))
    ) {
      throw new ConfigurationError(
        'suffix',
        options.suffix,
        'expected a non-empty string without path separators',
      );
    }
    const fsync = options.fsync ?? true;
    if (typeof fsync !== 'boolean')
      throw new ConfigurationError('fsync', fsync, 'expected true or false');
    const writeEmptyBatches = options.writeEmptyBatches ?? true;
    if (typeof writeEmptyBatches !== 'boolean') {
      throw new ConfigurationError(
        'writeEmptyBatches',
        writeEmptyBatches,
        'expected true or false',
      );
    }
    this.writeEmptyBatches = writeEmptyBatches;
    this.name = `${kind}(${prefix})`;
    this.writer = new BatchDirectoryWriter(prefix, options.suffix, fsync);
  }

  /** The directory the batch at `time` is written to. */
  directoryOf(time: number): string {
    return this.writer.target(time);
  }

  async beginBatch(batch: SinkBatchContext): Promise<void> {
    const time = batch.batchTime;
    this.inBatch.add(time);
    this.started.delete(time);
    if (this.writeEmptyBatches) {
      await this.guard(time, () => this.writer.begin(time));
    } else {
      // The directory waits for the first records; what an earlier attempt left goes now.
      await this.writer.abort(time);
    }
  }

  async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
    const time = context.batchTime;
    const engineCommits = this.inBatch.has(time);
    if (!this.writeEmptyBatches) {
      if (records.length === 0) {
        if (!engineCommits) await this.skipEmptyPart(context);
        return;
      }
      if (engineCommits) await this.start(time);
    }
    try {
      const path = await this.guard(time, () => this.writer.partPath(time, context.partition));
      await this.writePart(path, records, context);
    } catch (error) {
      if (!engineCommits) {
        this.emptyParts.delete(time);
        await this.writer.abort(time);
      }
      throw error;
    }
    let complete = this.writer.markWritten(time, context.partition, context.numPartitions);
    const empty = this.emptyParts.get(time);
    if (empty !== undefined) {
      this.emptyParts.delete(time);
      for (const partition of empty) {
        complete = this.writer.markWritten(time, partition, context.numPartitions);
      }
    }
    if (complete && !engineCommits) await this.guard(time, () => this.writer.commit(time));
  }

  async commitBatch(batch: SinkBatchContext): Promise<void> {
    const time = batch.batchTime;
    this.inBatch.delete(time);
    const started = this.started.get(time);
    this.started.delete(time);
    if (!this.writeEmptyBatches) {
      if (started === undefined) return;
      await started;
    }
    await this.guard(time, () => this.writer.commit(time));
  }

  async abortBatch(batch: SinkBatchContext): Promise<void> {
    this.inBatch.delete(batch.batchTime);
    this.started.delete(batch.batchTime);
    await this.writer.abort(batch.batchTime);
  }

  async close(): Promise<void> {
    this.inBatch.clear();
    this.started.clear();
    this.emptyParts.clear();
    await this.writer.abortAll();
  }

  /** Starts the directory of a batch the engine commits, once, for its first records. */
  private start(time: number): Promise<void> {
    let started = this.started.get(time);
    if (started === undefined) {
      started = this.guard(time, () => this.writer.begin(time));
      this.started.set(time, started);
    }
    return started;
  }

  /**
   * Counts a partition without records of a batch used directly: written if the batch has a
   * directory (which it commits once complete), else remembered until one of records comes.
   */
  private async skipEmptyPart(context: SinkWriteContext): Promise<void> {
    const time = context.batchTime;
    if (this.writer.markWritten(time, context.partition, context.numPartitions)) {
      this.emptyParts.delete(time);
      await this.guard(time, () => this.writer.commit(time));
      return;
    }
    const empty = this.emptyParts.get(time) ?? new Set<number>();
    empty.add(context.partition);
    if (empty.size >= context.numPartitions) this.emptyParts.delete(time);
    else this.emptyParts.set(time, empty);
  }

  private async writePart(
    path: string,
    records: readonly T[],
    context: SinkWriteContext,
  ): Promise<void> {
    const handle = await this.guard(context.batchTime, () => open(path, 'w'));
    try {
      const encoder = this.encoder;
      let text = encoder.header ?? '';
      for (let i = 0; i < records.length; i++) {
        let line: string;
        try {
          line = encoder.encode(records[i]);
        } catch (error) {
          throw new FileError(
            'RECORD_NOT_WRITABLE',
            this.writer.target(context.batchTime),
            `Cannot write record ${i} of partition ${context.partition} of the batch at ${context.batchTime} ms to ${this.writer.target(context.batchTime)}: ${messageOf(error)}`,
            { cause: error },
          );
        }
        text += line + '\n';
        if (text.length >= CHUNK_CHARACTERS) {
          await this.guard(context.batchTime, () => handle.writeFile(text));
          text = '';
        }
      }
      if (text.length > 0) await this.guard(context.batchTime, () => handle.writeFile(text));
      if (this.writer.fsync) await this.guard(context.batchTime, () => handle.sync());
    } finally {
      await handle.close();
    }
  }

  /** Runs a file operation, wrapping a failure in a {@link FileError} naming the batch directory. */
  private async guard<R>(time: number, operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof FileError) throw error;
      const target = this.writer.target(time);
      throw new FileError(
        'FILE_WRITE_FAILED',
        target,
        `Cannot write batch directory ${target}: ${messageOf(error)}`,
        { cause: error },
      );
    }
  }
}
