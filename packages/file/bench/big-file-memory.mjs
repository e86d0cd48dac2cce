// Peak memory (RSS) of a file stream reading one big file, for each way of decoding it.
//
//   node bench/big-file-memory.mjs [--size-mb 300] [--module ./dist/index.js] [--label after]
//
// Each case runs in a child process of its own (so peaks do not mix): it writes a file of
// `--size-mb` MiB of text lines (about 100 bytes each) in small chunks, moves it into a watched
// directory, runs one batch of a file stream over it on a manual clock, and reports the RSS
// before the batch and the peak RSS of the process (`maxRSS`). `--module` picks the build of
// @dstream/file to measure (another build, such as one of an earlier version, can be compared
// side by side). Prints a markdown table and writes JSON to bench-results/.
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { once } from 'node:events';

const here = dirname(fileURLToPath(import.meta.url));
const MIB = 1024 * 1024;

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

const CASES = {
  // The batch keeps every line as a string: memory is the records plus what reading needs.
  text: { describe: 'textFileStream (records kept as strings)' },
  // A decoder that keeps 8 bytes per line: memory is what reading needs.
  length: { describe: 'decoder keeping a number per line' },
};

async function writeBigFile(path, sizeMb) {
  const out = createWriteStream(path);
  const line = `${'x'.repeat(90)}`;
  let written = 0;
  let n = 0;
  let chunk = '';
  while (written < sizeMb * MIB) {
    const text = `${n++} ${line}\n`;
    chunk += text;
    written += text.length;
    if (chunk.length >= 64 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return n;
}

async function child() {
  const sizeMb = Number(argument('size-mb', '300'));
  const which = argument('case', 'text');
  const modulePath = resolve(argument('module', join(here, '..', 'dist', 'index.js')));
  const { ManualClock, StreamingContext, silentLogger } = await import('@dstream/core');
  const file = await import(pathToFileURL(modulePath).href);
  const root = await mkdtemp(join(tmpdir(), 'dstream-big-file-'));
  try {
    const watched = join(root, 'in');
    const staging = join(root, 'staging');
    await mkdir(watched);
    await mkdir(staging);
    const start = 1_700_000_000_000;
    const clock = new ManualClock(start);
    const ssc = new StreamingContext({ batchInterval: 1000, clock, logger: silentLogger });
    const stream =
      which === 'text'
        ? file.textFileStream(ssc, watched)
        : file.fileStream(ssc, watched, { format: (line) => line.length });
    let records = 0;
    stream.foreachBatch((batch) => {
      records += batch.count();
    });
    const lines = await writeBigFile(join(staging, 'big.txt'), sizeMb);
    await utimes(join(staging, 'big.txt'), new Date(start + 500), new Date(start + 500));
    await rename(join(staging, 'big.txt'), join(watched, 'big.txt'));
    globalThis.gc?.();
    const rssBefore = process.memoryUsage.rss();
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    ssc.start();
    clock.advance(1000);
    await ssc.awaitIdle();
    const peak = process.resourceUsage().maxRSS * 1024;
    await ssc.stop();
    if (records !== lines) throw new Error(`read ${records} records of ${lines}`);
    process.stdout.write(
      JSON.stringify({ records, rssBefore, peakBefore, peak, fileBytes: sizeMb * MIB }) + '\n',
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function parent() {
  const sizeMb = argument('size-mb', '300');
  const modulePath = resolve(argument('module', join(here, '..', 'dist', 'index.js')));
  const label = argument('label', modulePath);
  const rows = [];
  for (const [name, { describe }] of Object.entries(CASES)) {
    const run = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        fileURLToPath(import.meta.url),
        '--child',
        '--case',
        name,
        '--size-mb',
        sizeMb,
        '--module',
        modulePath,
      ],
      { cwd: join(here, '..'), encoding: 'utf8', maxBuffer: 16 * MIB },
    );
    if (run.status !== 0) throw new Error(`case ${name} failed: ${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop());
    rows.push({ label, case: name, describe, sizeMb: Number(sizeMb), ...result });
  }
  const mb = (bytes) => (bytes / MIB).toFixed(0);
  console.log(`\n@dstream/file big-file memory (${label}, ${sizeMb} MiB file)\n`);
  console.log('| case | records | RSS before batch (MiB) | peak RSS (MiB) | peak − before (MiB) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.describe} | ${row.records} | ${mb(row.rssBefore)} | ${mb(row.peak)} | ${mb(row.peak - row.rssBefore)} |`,
    );
  }
  const out = join(process.cwd(), 'bench-results');
  await mkdir(out, { recursive: true });
  const target = join(out, `big-file-memory-${label.replace(/[^a-z0-9-]+/gi, '_')}.json`);
  await writeFile(target, JSON.stringify(rows, null, 2) + '\n');
  console.log(`\nwritten to ${target}`);
}

await (process.argv.includes('--child') ? child() : parent());
