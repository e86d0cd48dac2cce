// Speed of the CSV file stream, measured side by side in one run against other readers of the
// same file: another build of @dstream/file (such as an earlier version) and, when given,
// csv-parse (streaming, `columns: true`, records kept, as the file stream keeps them).
//
//   node bench/csv-read-speed.mjs [--size-mb 100] [--runs 3] [--baseline path/to/index.js]
//                                 [--csv-parse path/to/csv-parse/dist/esm/index.js]
//
// Prints MB/s (median of the runs) and the ratio to this build; writes JSON to bench-results/.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ManualClock, StreamingContext, silentLogger } from '@dstream/core';

const here = dirname(fileURLToPath(import.meta.url));
const MIB = 1024 * 1024;

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

async function writeCsv(path, sizeMb) {
  const out = createWriteStream(path);
  out.write('id,name,comment,amount\n');
  let written = 0;
  let rows = 0;
  let chunk = '';
  while (written < sizeMb * MIB) {
    const row =
      rows % 10 === 0
        ? `${rows},name ${rows},"a comment, with a comma and ""quotes""",${rows * 3}.25\n`
        : `${rows},name ${rows},plain comment number ${rows},${rows * 3}.25\n`;
    chunk += row;
    written += row.length;
    rows++;
    if (chunk.length >= 64 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return rows;
}

let batchNumber = 0;

/** Reads the file with a file stream of `module` in one batch; returns [records, ms]. */
async function readWithFileStream(module, source) {
  const start = 1_700_000_000_000 + batchNumber++ * 1_000_000;
  const root = await mkdtemp(join(tmpdir(), 'dstream-csv-speed-'));
  const watched = join(root, 'in');
  await mkdir(watched);
  const clock = new ManualClock(start);
  const ssc = new StreamingContext({ batchInterval: 1000, clock, logger: silentLogger });
  let records = 0;
  module.fileStream(ssc, watched, { format: 'csv' }).foreachBatch((batch) => {
    records += batch.count();
  });
  const target = join(watched, 'data.csv');
  await rename(source, target);
  await utimes(target, new Date(start + 500), new Date(start + 500));
  ssc.start();
  const began = performance.now();
  clock.advance(1000);
  await ssc.awaitIdle();
  const took = performance.now() - began;
  await ssc.stop();
  await rename(target, source);
  await rm(root, { recursive: true, force: true });
  return [records, took];
}

async function readWithCsvParse(parse, source) {
  const began = performance.now();
  const records = [];
  const parser = createReadStream(source).pipe(parse({ columns: true }));
  for await (const record of parser) records.push(record);
  return [records.length, performance.now() - began];
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const sizeMb = Number(argument('size-mb', '100'));
const runs = Number(argument('runs', '3'));
const readers = [
  ['this build', await import(pathToFileURL(join(here, '..', 'dist', 'index.js')).href)],
];
const baseline = argument('baseline');
if (baseline) readers.push(['baseline build', await import(pathToFileURL(resolve(baseline)).href)]);
const csvParsePath = argument('csv-parse');
const csvParse = csvParsePath
  ? (await import(pathToFileURL(resolve(csvParsePath)).href)).parse
  : undefined;

const folder = await mkdtemp(join(tmpdir(), 'dstream-csv-source-'));
const source = join(folder, 'data.csv');
const rows = await writeCsv(source, sizeMb);
const times = new Map();
try {
  for (let run = 0; run < runs; run++) {
    for (const [name, module] of readers) {
      globalThis.gc?.();
      const [records, ms] = await readWithFileStream(module, source);
      if (records !== rows) throw new Error(`${name} read ${records} rows of ${rows}`);
      times.set(name, [...(times.get(name) ?? []), ms]);
    }
    if (csvParse) {
      globalThis.gc?.();
      const [records, ms] = await readWithCsvParse(csvParse, source);
      if (records !== rows) throw new Error(`csv-parse read ${records} rows of ${rows}`);
      times.set('csv-parse', [...(times.get('csv-parse') ?? []), ms]);
    }
  }
} finally {
  await rm(folder, { recursive: true, force: true });
}

const reference = median(times.get('this build'));
const results = [...times].map(([name, values]) => ({
  reader: name,
  medianMs: Math.round(median(values)),
  megabytesPerSecond: Number((sizeMb / (median(values) / 1000)).toFixed(1)),
  timeRelativeToThisBuild: Number((median(values) / reference).toFixed(2)),
}));
console.log(`\nCSV read speed: ${sizeMb} MiB, ${rows} rows, median of ${runs} runs\n`);
console.log('| reader | median ms | MiB/s | time vs this build |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.reader} | ${r.medianMs} | ${r.megabytesPerSecond} | ${r.timeRelativeToThisBuild} |`,
  );
}
const out = join(process.cwd(), 'bench-results');
await mkdir(out, { recursive: true });
await writeFile(
  join(out, 'csv-read-speed.json'),
  JSON.stringify({ sizeMb, rows, runs, results }, null, 2) + '\n',
);
