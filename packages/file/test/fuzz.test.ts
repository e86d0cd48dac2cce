import { afterEach, describe, it } from 'vitest';
import type { StreamingContext } from '@dstream/core';
import { FuzzRun, fuzzCount, fuzzTimeout } from '@dstream/testkit';
import { fileStream } from '../src/index.js';
import { batchTime, manualContext, moveIn, runBatches, tempFolders } from './helpers.js';

/** Lines per file, and files per batch. */
const LINES_PER_FILE = 2000;
const FILES_PER_BATCH = 5;
const timeout = fuzzTimeout(fuzzCount());

/** The modification time of the `n`th file (from 0): within the batch that takes it. */
const fileTime = (n: number): number => batchTime(1 + Math.floor(n / FILES_PER_BATCH)) - 100;

let context: StreamingContext | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await context?.stop();
  context = undefined;
  await cleanup?.();
  cleanup = undefined;
});

/**
 * Runs the payloads of `run` through a file stream of `format`: they are written as lines into
 * files of {@link LINES_PER_FILE} lines moved into the watched directory, a few per batch.
 */
async function fuzzFileStream(run: FuzzRun, format: 'text' | 'jsonl'): Promise<void> {
  const folders = await tempFolders();
  cleanup = folders.cleanup;
  const { ssc, clock } = manualContext();
  context = ssc;
  const onDecodeError = run.deadLetters();
  run.deliverFrom(
    format === 'text'
      ? fileStream(ssc, folders.watched, { format, onDecodeError })
      : fileStream(ssc, folders.watched, { format, onDecodeError }),
  );
  ssc.start();
  const newline = Buffer.from('\n');
  let file = 0;
  await run.send(
    async (lines) => {
      const name = `part-${String(file).padStart(5, '0')}.${format === 'text' ? 'txt' : 'jsonl'}`;
      const content = Buffer.concat(lines.flatMap((line) => [line, newline]));
      await moveIn(folders.staging, folders.watched, name, content, fileTime(file));
      file++;
    },
    { chunk: LINES_PER_FILE },
  );
  const batches = Math.ceil(file / FILES_PER_BATCH);
  await runBatches(ssc, clock, batches + 1);
  await run.finish(ssc);
}

describe('file stream under fuzzed input', () => {
  it(
    'text: delivers every valid line once and dead-letters every line of invalid UTF-8',
    async () => {
      const run = new FuzzRun('file-text', {
        badKinds: ['invalid-utf8', 'binary'],
        lineSafe: true,
      });
      await fuzzFileStream(run, 'text');
    },
    timeout,
  );

  it(
    'JSON lines: delivers every good record once and dead-letters every malformed line',
    async () => {
      const run = new FuzzRun('file-jsonl', { lineSafe: true });
      await fuzzFileStream(run, 'jsonl');
    },
    timeout,
  );
});
