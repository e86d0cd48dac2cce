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
  /** Batches between beginBatch and commitBatch/abortBatch: committed by the engine. */
  private readonly inBatch = new Set<number>();

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
    this.name = `${kind}(${prefix})`;
    this.writer = new BatchDirectoryWriter(prefix, options.suffix, fsync);
  }

  /** The directory the batch at `time` is written to. */
  directoryOf(time: number): string {
    return this.writer.target(time);
  }

  async beginBatch(batch: SinkBatchContext): Promise<void> {
    this.inBatch.add(batch.batchTime);
    await this.guard(batch.batchTime, () => this.writer.begin(batch.batchTime));
  }

  async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
    const time = context.batchTime;
    const engineCommits = this.inBatch.has(time);
    try {
      const path = await this.guard(time, () => this.writer.partPath(time, context.partition));
      await this.writePart(path, records, context);
    } catch (error) {
      if (!engineCommits) await this.writer.abort(time);
      throw error;
    }
    const complete = this.writer.markWritten(time, context.partition, context.numPartitions);
    if (complete && !engineCommits) await this.guard(time, () => this.writer.commit(time));
  }

  async commitBatch(batch: SinkBatchContext): Promise<void> {
    this.inBatch.delete(batch.batchTime);
    await this.guard(batch.batchTime, () => this.writer.commit(batch.batchTime));
  }

  async abortBatch(batch: SinkBatchContext): Promise<void> {
    this.inBatch.delete(batch.batchTime);
    await this.writer.abort(batch.batchTime);
  }

  async close(): Promise<void> {
    this.inBatch.clear();
    await this.writer.abortAll();
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
