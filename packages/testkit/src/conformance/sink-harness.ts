import type { Sink, SinkGuarantee } from '@dstream/core';

/**
 * Connects the sink conformance suite to one sink and its destination. The suite writes
 * records carrying an id and a version through the engine, creates a new sink on the same
 * destination to play a restarted process, and reads back what a reader of the destination
 * sees. Every case calls {@link setup} first and {@link teardown} last.
 *
 * @example
 * ```ts
 * const harness: SinkHarness<string> = {
 *   name: 'textFileSink',
 *   guarantee: 'idempotent',
 *   setup: async () => { dir = await mkdtemp(join(tmpdir(), 'sink-')); },
 *   createSink: () => textFileSink(dir),
 *   record: (id, version) => `${id}:${version}`,
 *   idOf: (line) => Number(line.split(':')[0]),
 *   versionOf: (line) => Number(line.split(':')[1]),
 *   readVisible: () => readAllLines(dir),
 * };
 * ```
 */
export interface SinkHarness<T> {
  /** Names the sink in test titles and failure messages. */
  readonly name: string;
  /**
   * The guarantee the sink declares, which decides the cases that run. Every case checks that
   * the sinks it creates declare the same.
   */
  readonly guarantee: SinkGuarantee;
  /** Prepares a fresh, empty destination for one case (a new topic, directory, table). */
  setup?(): void | Promise<void>;
  /** Releases what {@link setup} and {@link readVisible} hold. */
  teardown?(): void | Promise<void>;
  /** A new sink writing to the current destination; called once per context. */
  createSink(): Sink<T> | Promise<Sink<T>>;
  /** A record carrying `id` and `version`; a rewrite of a batch uses the same ids, a new version. */
  record(id: number, version: number): T;
  /** The id a record read back carries. */
  idOf(record: T): number;
  /** The version a record read back carries. */
  versionOf(record: T): number;
  /**
   * Every record visible at the destination now, as a reader sees it (committed output only:
   * read Kafka with `read_committed`, list only published files).
   */
  readVisible(): readonly T[] | Promise<readonly T[]>;
  /** Tuning of the cases for this sink; every setting is optional. */
  readonly settings?: SinkConformanceSettings;
}

/** The ids of the sink conformance cases. */
export type SinkCaseId =
  | 'writes-every-record'
  | 'rewrite-replaces'
  | 'rewrite-never-duplicates'
  | 'aborted-batch-invisible'
  | 'uncommitted-batch-invisible-after-crash'
  | 'dead-letters-all-arrive';

/** Tuning of the sink cases. */
export interface SinkConformanceSettings {
  /** Records per batch (default 20), spread over several partitions. */
  readonly records?: number;
  /** Dead letters the `dead-letters-all-arrive` case writes (default 2000). */
  readonly deadLetters?: number;
  /**
   * How long written records may take to become visible to {@link SinkHarness.readVisible},
   * in milliseconds (default 10 000).
   */
  readonly visibilityTimeout?: number;
  /** Cases this sink is not held to, each with the reason, which test titles show. */
  readonly exclude?: Partial<Record<SinkCaseId, string>>;
}
