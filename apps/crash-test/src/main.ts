import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runWithKills, seededRandom } from './kill-loop.js';
import { compareRecords } from './multiset.js';
import { pipelineNamed, pipelines } from './pipelines.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '3' },
    pipeline: { type: 'string', multiple: true },
    seed: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: pnpm crash-test [--kills N] [--pipeline NAME]... [--seed N]

Runs each pipeline in a child process, kills it with SIGKILL at random moments N times
(restarting it each time with StreamingContext.getOrCreate), then checks every output record
against the input and prints one line per pipeline: kills=N lost=L duplicated=D.

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
const childScript = fileURLToPath(new URL('./child.js', import.meta.url));

let violated = false;
for (const pipeline of selected) {
  const directory = mkdtempSync(join(tmpdir(), `dstream-crash-${pipeline.name}-`));
  const workspace = { directory, checkpointDir: join(directory, 'checkpoint') };
  const started = Date.now();
  try {
    await runWithKills(pipeline, workspace, {
      kills,
      random: seededRandom(seed),
      childScript,
      lifetime: [1200, 3500],
      completionTimeout: 90_000,
    });
    const outcome = await pipeline.collect(workspace);
    const comparison = compareRecords(outcome.input, outcome.output);
    const checks = outcome.checks
      .map((check) => `${check.name}=${check.ok ? 'ok' : 'MISMATCH'}`)
      .join(' ');
    console.log(
      `pipeline=${pipeline.name} kills=${kills} records=${outcome.input.length} lost=${comparison.lost} duplicated=${comparison.duplicated} unexpected=${comparison.unexpected} ${checks} seed=${seed} seconds=${((Date.now() - started) / 1000).toFixed(1)}`,
    );
    const broken =
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
      console.log(`  workspace kept at ${directory}`);
    }
  } catch (error) {
    violated = true;
    console.log(`pipeline=${pipeline.name} kills=${kills} FAILED: ${(error as Error).message}`);
  } finally {
    await pipeline.cleanup?.(workspace);
  }
}
process.exit(violated ? 1 : 0);
