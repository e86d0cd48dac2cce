import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StreamingContext } from '@dstream/core';
import { jsonLinesFileSink, textFileStream } from '@dstream/file';
import { logBatchProgress } from '../batch-progress-log.js';
import { childLogger } from '../child-logger.js';
import { announceRunning } from '../child-signals.js';
import type { CrashPipeline, PipelineOutcome, PipelineWorkspace } from '../crash-pipeline.js';
import { readBatchDirectories } from '../batch-directories.js';

const FILES = 40;
const LINES_PER_FILE = 50;
const KEYS = 7;

const inputDir = (workspace: PipelineWorkspace): string => join(workspace.directory, 'in');
const outputDir = (workspace: PipelineWorkspace): string => join(workspace.directory, 'out');

/** The records of input file `file`: `"<file>-<line> key<n>"`. */
function fileRecords(file: number): string[] {
  return Array.from(
    { length: LINES_PER_FILE },
    (_, line) => `${file}-${line} key${(file * LINES_PER_FILE + line) % KEYS}`,
  );
}

function keyOf(record: string): string {
  return record.slice(record.indexOf(' ') + 1);
}

/**
 * (a) Files in → stateful count → idempotent file sink: exactly once. Every record is written to
 * a per-batch JSON-lines directory, and a running count per key (updateStateByKey) is written
 * every batch; after the kills, every record must appear exactly once and the last counts must
 * equal the counts of the input.
 */
export const filesStatefulCount: CrashPipeline = {
  name: 'files',
  description: 'files in → updateStateByKey count → idempotent JSON-lines sink',
  guarantee: 'exactly-once',
  brokers: [],

  async prepare(workspace) {
    await mkdir(inputDir(workspace), { recursive: true });
    await mkdir(outputDir(workspace), { recursive: true });
  },

  async feed(workspace, pace) {
    for (let file = 0; file < FILES; file++) {
      const name = `input-${String(file).padStart(4, '0')}.txt`;
      const temporary = join(workspace.directory, `.${name}`);
      await writeFile(temporary, fileRecords(file).join('\n') + '\n');
      await rename(temporary, join(inputDir(workspace), name));
      await new Promise((resolve) => setTimeout(resolve, pace.duration / FILES));
    }
  },

  async isComplete(workspace) {
    const counts = await latestCounts(workspace);
    let total = 0;
    for (const count of counts.values()) total += count;
    return total === FILES * LINES_PER_FILE;
  },

  async collect(workspace): Promise<PipelineOutcome> {
    const input: string[] = [];
    for (let file = 0; file < FILES; file++) input.push(...fileRecords(file));
    const output = (await readBatchDirectories(outputDir(workspace), 'records')).flatMap((batch) =>
      batch.lines.map((line) => JSON.parse(line) as string),
    );
    const expectedCounts = new Map<string, number>();
    for (const record of input)
      expectedCounts.set(keyOf(record), (expectedCounts.get(keyOf(record)) ?? 0) + 1);
    const counts = await latestCounts(workspace);
    const mismatched = [...expectedCounts].filter(([key, count]) => counts.get(key) !== count);
    return {
      input,
      output,
      checks: [
        {
          name: 'state',
          ok: mismatched.length === 0 && counts.size === expectedCounts.size,
          detail:
            mismatched.length === 0
              ? undefined
              : mismatched
                  .map(([key, count]) => `${key}: expected ${count}, got ${counts.get(key)}`)
                  .join('; '),
        },
      ],
    };
  },

  async run(workspace) {
    const logger = childLogger();
    const ssc = await StreamingContext.getOrCreate(workspace.checkpointDir, () => {
      const context = new StreamingContext({
        batchInterval: 500,
        checkpointDir: workspace.checkpointDir,
        checkpointInterval: 500,
        stopGracefullyOnShutdown: true,
        logger,
      });
      const lines = textFileStream(context, inputDir(workspace), { newFilesOnly: false });
      lines.to(jsonLinesFileSink<string>(join(outputDir(workspace), 'records')));
      lines
        .map((line): [string, number] => [keyOf(line), 1])
        .updateStateByKey<string, number, number>((values, count) => (count ?? 0) + values.length)
        .to(jsonLinesFileSink<[string, number]>(join(outputDir(workspace), 'counts')));
      return context;
    });
    logBatchProgress(ssc, logger);
    ssc.start();
    announceRunning();
    await ssc.awaitTermination();
  },
};

async function latestCounts(workspace: PipelineWorkspace): Promise<Map<string, number>> {
  const batches = await readBatchDirectories(outputDir(workspace), 'counts');
  const latest = batches.at(-1);
  const counts = new Map<string, number>();
  for (const line of latest?.lines ?? []) {
    const [key, count] = JSON.parse(line) as [string, number];
    counts.set(key, count);
  }
  return counts;
}
