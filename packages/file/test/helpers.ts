import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import {
  ManualClock,
  StreamingContext,
  type DStream,
  type Logger,
  type StreamingContextOptions,
} from '@dstream/core';

/** A batch-interval boundary used as the manual clock's start: 2023-11-14T22:13:20Z. */
export const START = 1_700_000_000_000;
export const INTERVAL = 1000;
/** The time of the `n`th batch after the start (1-based). */
export const batchTime = (n: number): number => START + n * INTERVAL;

/** A fresh temporary folder with a watched `in` directory and a `staging` directory beside it. */
export async function tempFolders(): Promise<{
  root: string;
  watched: string;
  staging: string;
  cleanup: () => Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'dstream-file-'));
  const watched = join(root, 'in');
  const staging = join(root, 'staging');
  await mkdir(watched);
  await mkdir(staging);
  return { root, watched, staging, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A context on a manual clock at {@link START} with a 1 s batch interval. */
export function manualContext(options: Partial<StreamingContextOptions> = {}): {
  ssc: StreamingContext;
  clock: ManualClock;
} {
  const clock = new ManualClock(START);
  const ssc = new StreamingContext({ batchInterval: INTERVAL, clock, ...options });
  return { ssc, clock };
}

/** Collects every batch of `stream` as `[time, records]`, in record order. */
export function collect<T>(stream: DStream<T>): Array<[number, T[]]> {
  const out: Array<[number, T[]]> = [];
  stream.foreachBatch((batch, time) => {
    out.push([time, batch.collect()]);
  });
  return out;
}

/** Collects the input metadata of `stream` for every batch, as `[time, metadata]`. */
export function collectMetadata(
  ssc: StreamingContext,
  stream: DStream<unknown>,
): Array<[number, Record<string, unknown>]> {
  const out: Array<[number, Record<string, unknown>]> = [];
  stream.foreachBatch((_batch, time) => {
    out.push([time, { ...(ssc.inputInfoOf(time).get(stream.id)?.metadata ?? {}) }]);
  });
  return out;
}

/** Advances the clock one batch interval at a time and waits until those batches completed. */
export async function runBatches(
  ssc: StreamingContext,
  clock: ManualClock,
  batches: number,
): Promise<void> {
  for (let i = 0; i < batches; i++) {
    clock.advance(INTERVAL);
    await ssc.awaitIdle();
  }
}

/** Sets a file's modification (and access) time, in milliseconds. */
export async function setModificationTime(path: string, time: number): Promise<void> {
  await utimes(path, new Date(time), new Date(time));
}

/**
 * Writes a file in `staging`, gives it modification time `time` and moves it into `directory`
 * atomically, the way files should arrive in a watched directory.
 */
export async function moveIn(
  staging: string,
  directory: string,
  name: string,
  content: string | Buffer,
  time: number,
): Promise<string> {
  const staged = join(staging, name);
  await writeFile(staged, content);
  await setModificationTime(staged, time);
  const target = join(directory, name);
  await rename(staged, target);
  return target;
}

/** A log entry kept by {@link recordingLogger}. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A logger keeping every entry, for a context's `logger` option. */
export function recordingLogger(): Logger & { entries: LogEntry[]; at(level: string): LogEntry[] } {
  const entries: LogEntry[] = [];
  const keep =
    (level: LogEntry['level']) =>
    (fields: object, message = ''): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return {
    entries,
    at: (level) => entries.filter((entry) => entry.level === level),
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
  };
}

/**
 * For a test file: fresh temporary folders before each test, and after it the context stopped
 * and the folders removed. `setup()` makes a manual-clock context logging to a recording logger;
 * `use(ssc)` has a context made otherwise stopped after the test.
 */
export function fileStreamTestBed(): {
  readonly folders: Awaited<ReturnType<typeof tempFolders>>;
  readonly setup: (
    options?: Partial<StreamingContextOptions>,
  ) => ReturnType<typeof manualContext> & { log: ReturnType<typeof recordingLogger> };
  readonly use: (ssc: StreamingContext) => void;
} {
  let folders: Awaited<ReturnType<typeof tempFolders>> | undefined;
  let context: StreamingContext | undefined;
  beforeEach(async () => {
    folders = await tempFolders();
  });
  afterEach(async () => {
    await context?.stop();
    context = undefined;
    await folders?.cleanup();
  });
  return {
    get folders() {
      if (folders === undefined) throw new Error('no test is running');
      return folders;
    },
    setup: (options = {}) => {
      const log = recordingLogger();
      const created = manualContext({ logger: log, ...options });
      context = created.ssc;
      return { ...created, log };
    },
    use: (ssc) => {
      context = ssc;
    },
  };
}
