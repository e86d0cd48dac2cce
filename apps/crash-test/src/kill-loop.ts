import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CrashPipeline, PipelineWorkspace } from './crash-pipeline.js';

/** A small seeded generator, so a run's kill moments can be repeated with `--seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

/** Settings of one crash run. */
export interface KillLoopOptions {
  readonly kills: number;
  readonly random: () => number;
  /** The script that runs a pipeline's child side: `node <script> <pipeline> <workspace>`. */
  readonly childScript: string;
  /** Shortest and longest life of a child before it is killed, in milliseconds. */
  readonly lifetime: readonly [number, number];
  /** How long the last child may take to process all input, in milliseconds. */
  readonly completionTimeout: number;
}

/**
 * Feeds the pipeline's input while starting its child process and killing it with SIGKILL at
 * random moments `kills` times; then starts it once more, waits until the output reflects all
 * the input, and stops it with SIGTERM (a graceful stop).
 */
export async function runWithKills(
  pipeline: CrashPipeline,
  workspace: PipelineWorkspace,
  options: KillLoopOptions,
): Promise<void> {
  await pipeline.prepare(workspace);
  const feeding = pipeline.feed(workspace);
  const log = join(workspace.directory, 'child.log');
  for (let kill = 0; kill < options.kills; kill++) {
    const child = startChild(pipeline, workspace, options.childScript, log);
    const [shortest, longest] = options.lifetime;
    await Promise.race([sleep(shortest + options.random() * (longest - shortest)), child.exited]);
    if (child.process.exitCode !== null)
      throw await childFailure(
        pipeline,
        log,
        `exited with ${child.process.exitCode} before it was killed`,
      );
    child.process.kill('SIGKILL');
    await child.exited;
  }
  await feeding;
  const child = startChild(pipeline, workspace, options.childScript, log);
  const deadline = Date.now() + options.completionTimeout;
  while (!(await pipeline.isComplete(workspace))) {
    if (child.process.exitCode !== null)
      throw await childFailure(
        pipeline,
        log,
        `exited with ${child.process.exitCode} before finishing`,
      );
    if (Date.now() > deadline) {
      child.process.kill('SIGKILL');
      throw await childFailure(
        pipeline,
        log,
        `did not process all input within ${options.completionTimeout} ms`,
      );
    }
    await sleep(250);
  }
  child.process.kill('SIGTERM');
  const stopped = await Promise.race([
    child.exited.then(() => true),
    sleep(30_000).then(() => false),
  ]);
  if (!stopped) {
    child.process.kill('SIGKILL');
    throw await childFailure(pipeline, log, 'did not stop gracefully within 30 s of SIGTERM');
  }
}

interface RunningChild {
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
}

function startChild(
  pipeline: CrashPipeline,
  workspace: PipelineWorkspace,
  script: string,
  log: string,
): RunningChild {
  const output = createWriteStream(log, { flags: 'a' });
  const child = spawn(process.execPath, [script, pipeline.name, workspace.directory], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(output, { end: false });
  child.stderr?.pipe(output, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { process: child, exited };
}

async function childFailure(pipeline: CrashPipeline, log: string, what: string): Promise<Error> {
  const text = await readFile(log, 'utf8').catch(() => '');
  const tail = text.split('\n').slice(-30).join('\n');
  return new Error(`Pipeline ${pipeline.name}: the child ${what}. Last lines of ${log}:\n${tail}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
