import { afterEach, describe, it } from 'vitest';
import { deadLetter, type StreamingContext } from '@dstream/core';
import { FuzzRun, fuzzCount, fuzzTimeout } from '@dstream/testkit';
import { fileStream } from '../src/index.js';
import { batchTime, manualContext, moveIn, runBatches, tempFolders } from './helpers.js';

/** Lines per file, and files per batch. */
const LINES_PER_FILE = 2000;
const FILES_PER_BATCH = 5;
const timeout = fuzzTimeout(fuzzCount());

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
  const stream = fileStream(ssc, folders.watched, {
    format,
    onDecodeError: deadLetter(run.tally.deadLetterSink()),
  });
  stream.foreachBatch((batch) => {
    for (const record of batch.collect()) run.tally.delivered(record);
  });
  ssc.start();
  const payloads = run.payloads;
  const newline = Buffer.from('\n');
  let batches = 0;
  for (let first = 0, file = 0; first < payloads.length; first += LINES_PER_FILE, file++) {
    const lines = payloads.slice(first, first + LINES_PER_FILE).flatMap((p) => [p, newline]);
    const batch = 1 + Math.floor(file / FILES_PER_BATCH);
    await moveIn(
      folders.staging,
      folders.watched,
      `part-${String(file).padStart(5, '0')}.${format === 'text' ? 'txt' : 'jsonl'}`,
      Buffer.concat(lines),
      batchTime(batch) - 100,
    );
    batches = batch;
  }
  await runBatches(ssc, clock, batches + 1);
  await run.completion();
  await ssc.stop({ graceful: true });
  run.conclude();
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
