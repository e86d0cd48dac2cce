import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { requireBroker } from '@dstream/infra/test-support/brokers';
import { runWithKills, seededRandom } from './kill-loop.js';
import { compareRecords } from './multiset.js';
import { pipelineNamed, pipelines } from './pipelines.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '3' },
    pipeline: { type: 'string', multiple: true },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: pnpm crash-test [--kills N] [--pipeline NAME]... [--seed N] [--keep]

Runs each pipeline in a child process, kills it with SIGKILL at random moments N times
(restarting it each time with StreamingContext.getOrCreate), then checks every output record
against the input and prints one line per pipeline: kills=N lost=L duplicated=D.
A failed pipeline's workspace (child.log, checkpoint) is kept; --keep keeps every one.

Pipelines: ${pipelines.map((p) => `${p.name} (${p.description}; ${p.guarantee})`).join('\n           ')}`);
  process.exit(0);
}

const kills = Number(values.kills);
if (!Number.isInteger(kills) || kills < 0) {
  console.error(`Invalid --kills ${values.kills}: expected a whole number of zero or more`);
  process.exit(2);
}
const seed = values.seed === undefined ? Date.now() % 1_000_000 : Number(values.seed);
const selected = (values.pipeline ?? pipelines.map((p) => p.name)).map(pipelineNamed);
/** How long the last child may take to reflect all the input in the output, in milliseconds. */
const COMPLETION_TIMEOUT = 60_000;
const childScript = fileURLToPath(new URL('./child.js', import.meta.url));

let violated = false;
for (const pipeline of selected) {
  // A pipeline whose broker is down is skipped loudly (requireBroker prints why); under CI=true
  // requireBroker throws instead, and the run fails.
  let reachable = true;
  try {
    for (const broker of pipeline.brokers)
      reachable &&= await requireBroker(broker, `crash-test pipeline ${pipeline.name}`);
  } catch (error) {
    violated = true;
    console.log(`pipeline=${pipeline.name} kills=${kills} FAILED: ${(error as Error).message}`);
    continue;
  }
  if (!reachable) {
    console.log(
      `pipeline=${pipeline.name} SKIPPED: needs ${pipeline.brokers.join(', ')}, not reachable (bash infra/brokers.sh up)`,
    );
    continue;
  }
  const directory = mkdtempSync(join(tmpdir(), `dstream-crash-${pipeline.name}-`));
  const workspace = { directory, checkpointDir: join(directory, 'checkpoint') };
  const started = Date.now();
  let keep = values.keep;
  try {
    const { complete } = await runWithKills(pipeline, workspace, {
      kills,
      random: seededRandom(seed),
      childScript,
      lifetime: [1200, 3500],
      completionTimeout: COMPLETION_TIMEOUT,
    });
    const outcome = await pipeline.collect(workspace);
    const comparison = compareRecords(outcome.input, outcome.output);
    const fields = [
      `pipeline=${pipeline.name}`,
      `kills=${kills}`,
      `records=${outcome.input.length}`,
      `lost=${comparison.lost}`,
      `duplicated=${comparison.duplicated}`,
      `unexpected=${comparison.unexpected}`,
      ...outcome.checks.map((check) => `${check.name}=${check.ok ? 'ok' : 'MISMATCH'}`),
      ...(complete ? [] : ['complete=no']),
      `seed=${seed}`,
      `seconds=${((Date.now() - started) / 1000).toFixed(1)}`,
    ];
    console.log(fields.join(' '));
    const broken =
      !complete ||
      comparison.lost > 0 ||
      comparison.unexpected > 0 ||
      (pipeline.guarantee === 'exactly-once' && comparison.duplicated > 0) ||
      outcome.checks.some((check) => !check.ok);
    if (broken) {
      violated = true;
      console.log(
        `  ${pipeline.guarantee} violated; examples: ${JSON.stringify(comparison.examples)}`,
      );
      for (const check of outcome.checks)
        if (!check.ok) console.log(`  ${check.name}: ${check.detail}`);
      if (!complete)
        console.log(`  the output did not reflect all the input within ${COMPLETION_TIMEOUT} ms`);
      keep = true;
    }
  } catch (error) {
    violated = true;
    keep = true;
    console.log(`pipeline=${pipeline.name} kills=${kills} FAILED: ${(error as Error).message}`);
  }
  if (keep) {
    console.log(`  workspace kept at ${directory} (child.log, settings.json, checkpoint)`);
  } else {
    await pipeline.cleanup?.(workspace).catch((error: unknown) => {
      console.log(`  cleanup of ${pipeline.name} failed: ${(error as Error).message}`);
    });
    await rm(directory, { recursive: true, force: true });
  }
}
process.exit(violated ? 1 : 0);
