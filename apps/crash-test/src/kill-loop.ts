import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUNNING_MESSAGE } from './child-signals.js';
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

/** The shortest time over which a pipeline's input is produced, in milliseconds. */
const MINIMUM_FEED_DURATION = 5000;

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

/** How a crash run ended. */
export interface RunResult {
  /** Whether the output reflected all the input within the completion timeout. */
  readonly complete: boolean;
}

/**
 * Feeds the pipeline's input (spread over the expected time of the kills, at least 5 s) while
 * starting its child process and killing it with SIGKILL at random moments `kills` times; then
 * starts it once more, waits until the output reflects all the input (or the completion timeout
 * passes, when input was most likely lost), and stops it with SIGTERM (a graceful stop, which
 * must succeed).
 */
export async function runWithKills(
  pipeline: CrashPipeline,
  workspace: PipelineWorkspace,
  options: KillLoopOptions,
): Promise<RunResult> {
  await pipeline.prepare(workspace);
  // The input flows while the kills happen: spread over their expected total time.
  const [shortest, longest] = options.lifetime;
  const duration = Math.max(MINIMUM_FEED_DURATION, (options.kills * (shortest + longest)) / 2);
  const feeding = pipeline.feed(workspace, { duration });
  // A failure to feed is reported where the feeding is awaited, not as an unhandled rejection.
  feeding.catch(() => {});
  const log = join(workspace.directory, 'child.log');
  for (let kill = 0; kill < options.kills; kill++) {
    const child = startChild(pipeline, workspace, options.childScript, log);
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
  if (!(await child.running)) {
    throw await childFailure(pipeline, log, `exited with ${child.process.exitCode} before running`);
  }
  while (!(await pipeline.isComplete(workspace))) {
    if (child.process.exitCode !== null)
      throw await childFailure(
        pipeline,
        log,
        `exited with ${child.process.exitCode} before finishing`,
      );
    if (Date.now() > deadline) {
      // Most likely input was lost: stop the child and let the comparison say what is missing.
      await stopGracefully(pipeline, child, log);
      return { complete: false };
    }
    await sleep(250);
  }
  await stopGracefully(pipeline, child, log);
  return { complete: true };
}

/** Sends SIGTERM and checks that the child stops gracefully (exit code 0) within 30 s. */
async function stopGracefully(
  pipeline: CrashPipeline,
  child: RunningChild,
  log: string,
): Promise<void> {
  child.process.kill('SIGTERM');
  const stopped = await Promise.race([
    child.exited.then(() => true),
    sleep(30_000).then(() => false),
  ]);
  if (!stopped) {
    child.process.kill('SIGKILL');
    throw await childFailure(pipeline, log, 'did not stop gracefully within 30 s of SIGTERM');
  }
  if (child.process.exitCode !== 0) {
    throw await childFailure(
      pipeline,
      log,
      `exited with ${child.process.exitCode ?? child.process.signalCode} after SIGTERM instead of stopping gracefully`,
    );
  }
}

interface RunningChild {
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  /** Resolves `true` once the child's context has started, `false` if it exits first. */
  readonly running: Promise<boolean>;
}

function startChild(
  pipeline: CrashPipeline,
  workspace: PipelineWorkspace,
  script: string,
  log: string,
): RunningChild {
  const output = createWriteStream(log, { flags: 'a' });
  const child = spawn(process.execPath, [script, pipeline.name, workspace.directory], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(output, { end: false });
  child.stderr?.pipe(output, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = new Promise<boolean>((resolve) => {
    child.on('message', (message) => {
      if (message === RUNNING_MESSAGE) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  return { process: child, exited, running };
}

async function childFailure(pipeline: CrashPipeline, log: string, what: string): Promise<Error> {
  const text = await readFile(log, 'utf8').catch(() => '');
  const tail = text.split('\n').slice(-30).join('\n');
  return new Error(`Pipeline ${pipeline.name}: the child ${what}. Last lines of ${log}:\n${tail}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
