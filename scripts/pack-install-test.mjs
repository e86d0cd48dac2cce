#!/usr/bin/env node
// Checks that every publishable package installs and works alone, as a user gets it from the
// registry: packs each package with `pnpm pack` (which rewrites `workspace:` ranges), lints the
// tarball with publint, checks its manifest, installs it with npm next to @dstream/core into an
// empty project, type-checks an import of it, and runs a tiny pipeline from the installed files.
// Installing @dstream/core with one connector must bring no other connector's client library.
//
//   node scripts/pack-install-test.mjs                  every publishable package (builds assumed done)
//   node scripts/pack-install-test.mjs --only core,mqtt  some of them (directory names)
//   node scripts/pack-install-test.mjs --keep           keep the temporary directory
//
// Exits 1 when a check fails; the last line says how many packages passed.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const onlyIndex = args.indexOf('--only');
const only =
  onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',').filter(Boolean)) : undefined;

/** The client library each connector wraps: no other connector's install may bring it. */
const CLIENT_LIBRARIES = {
  '@dstream/kafka': 'kafkajs',
  '@dstream/mqtt': 'mqtt',
  '@dstream/pubsub': '@google-cloud/pubsub',
};

const started = Date.now();
const failures = [];

function fail(name, message) {
  failures.push(`${name}: ${message}`);
  console.error(`  ✗ ${name}: ${message}`);
}

/** Runs a command; resolves with its exit status and output, never rejects. */
function run(command, commandArgs, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, {
      cwd: root,
      ...options,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 240_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ status: 1, output: `${output}${error.message}` });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? 1, output });
    });
  });
}

/** Runs `task` over `items` with at most `limit` at once. */
async function inParallel(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}

function publishablePackages() {
  const found = [];
  for (const group of ['packages', 'examples']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const dirName of readdirSync(groupDir)) {
      const dir = join(groupDir, dirName);
      const manifestPath = join(dir, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (manifest.private === true) continue;
      if (only !== undefined && !only.has(dirName) && !(dirName === 'core' && only.size > 0))
        continue;
      found.push({ dir, dirName, name: manifest.name, manifest });
    }
  }
  return found;
}

/** Checks of the source manifest and of the built files, before packing. */
function checkSource(pkg) {
  const { manifest, name, dir } = pkg;
  const main = manifest.exports?.['.']?.import ?? manifest.main;
  if (main === undefined || !existsSync(join(dir, main))) {
    fail(name, `${main ?? 'its entry point'} is missing: build the package first (pnpm build)`);
    return false;
  }
  if (!existsSync(join(dir, 'CHANGELOG.md'))) fail(name, 'has no CHANGELOG.md');
  if (!existsSync(join(dir, 'README.md'))) fail(name, 'has no README.md');
  return true;
}

/** Checks of the manifest as packed: what users get. */
function checkPackedManifest(name, manifest) {
  const ranges = {
    ...manifest.dependencies,
    ...manifest.peerDependencies,
    ...manifest.optionalDependencies,
  };
  for (const [dependency, range] of Object.entries(ranges)) {
    if (String(range).startsWith('workspace:'))
      fail(name, `${dependency} keeps the range ${range} in the tarball`);
  }
  if (manifest.type !== 'module') fail(name, 'is not "type": "module"');
  if (typeof manifest.types !== 'string') fail(name, 'has no "types"');
  if (!Array.isArray(manifest.files) || !manifest.files.includes('dist'))
    fail(name, '"files" does not list dist');
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json') continue;
    if (typeof target !== 'object' || target.types === undefined || target.import === undefined) {
      fail(name, `exports["${subpath}"] needs both "types" and "import"`);
    }
  }
  if (manifest.exports?.['.'] === undefined) fail(name, 'has no exports["."]');
  if (name !== '@dstream/core') {
    if (manifest.dependencies?.['@dstream/core'] !== undefined) {
      fail(
        name,
        '@dstream/core is a dependency; it must be a peer dependency so an app shares one engine',
      );
    }
    if (manifest.peerDependencies?.['@dstream/core'] === undefined)
      fail(name, '@dstream/core is not a peer dependency');
  }
}

async function pack(pkg, tarballDir) {
  const result = await run('pnpm', ['pack', '--pack-destination', tarballDir], { cwd: pkg.dir });
  const tarball = result.output
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .reverse()
    .find((line) => line.endsWith('.tgz'));
  if (result.status !== 0 || tarball === undefined) {
    fail(pkg.name, `pnpm pack failed:\n${result.output}`);
    return undefined;
  }
  const path = tarball.startsWith('/') ? tarball : join(tarballDir, tarball);
  const manifestText = await run('tar', ['-xzOf', path, 'package/package.json']);
  if (manifestText.status !== 0) {
    fail(pkg.name, `cannot read package.json from ${path}`);
    return undefined;
  }
  checkPackedManifest(pkg.name, JSON.parse(manifestText.output));
  // --strict: warnings fail as errors do; suggestions are shown.
  const lint = await run('pnpm', ['exec', 'publint', 'run', '--strict', path]);
  if (lint.status !== 0) fail(pkg.name, `publint:\n${lint.output.trim()}`);
  else if (!/All good!/.test(lint.output))
    console.log(`  publint suggestions for ${pkg.name}:\n${lint.output.trim()}`);
  return path;
}

/** Directories of installed packages named `name` anywhere under `nodeModules`. */
async function findInstalled(nodeModules, name, found = []) {
  let entries;
  try {
    entries = await readdir(nodeModules, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const path = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const scoped of await readdir(path, { withFileTypes: true })) {
        if (!scoped.isDirectory()) continue;
        const scopedPath = join(path, scoped.name);
        if (`${entry.name}/${scoped.name}` === name) found.push(scopedPath);
        await findInstalled(join(scopedPath, 'node_modules'), name, found);
      }
    } else {
      if (entry.name === name) found.push(path);
      await findInstalled(join(path, 'node_modules'), name, found);
    }
  }
  return found;
}

/** Installs core (and `pkg`) from tarballs into an empty project and runs the smoke test there. */
async function installAndRun(pkg, tarballs, workDir) {
  const failuresOf = () => failures.filter((failure) => failure.startsWith(`${pkg.name}: `)).length;
  const failuresBefore = failuresOf();
  const projectDir = join(workDir, `project-${pkg.dirName}`);
  await mkdir(projectDir, { recursive: true });
  await writeFile(
    join(projectDir, 'package.json'),
    JSON.stringify({ name: `pack-install-${pkg.dirName}`, private: true, type: 'module' }, null, 2),
  );
  const toInstall = [tarballs.get('@dstream/core')];
  if (pkg.name !== '@dstream/core') toInstall.push(tarballs.get(pkg.name));
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock', ...toInstall],
    { cwd: projectDir },
  );
  if (install.status !== 0) {
    fail(pkg.name, `npm install failed:\n${install.output.trim()}`);
    return;
  }
  const nodeModules = join(projectDir, 'node_modules');
  const cores = await findInstalled(nodeModules, '@dstream/core');
  if (cores.length !== 1)
    fail(
      pkg.name,
      `installs ${cores.length} copies of @dstream/core (${cores.map((p) => relative(projectDir, p)).join(', ')})`,
    );
  for (const [connector, library] of Object.entries(CLIENT_LIBRARIES)) {
    if (connector === pkg.name) continue;
    const copies = await findInstalled(nodeModules, library);
    if (copies.length > 0)
      fail(pkg.name, `installing it brings ${library}, the client of ${connector}`);
  }
  await writeFile(join(projectDir, 'smoke.mjs'), SMOKE_TEST);
  const smoke = await run(process.execPath, ['smoke.mjs', pkg.name], {
    cwd: projectDir,
    timeout: 60_000,
  });
  if (smoke.status !== 0)
    fail(pkg.name, `the pipeline from the installed package failed:\n${smoke.output.trim()}`);
  await writeFile(join(projectDir, 'types-check.ts'), typesCheck(pkg));
  await writeFile(
    join(projectDir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: ['types-check.ts'],
    }),
  );
  const tsc = await run(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    {
      cwd: projectDir,
    },
  );
  if (tsc.status !== 0)
    fail(pkg.name, `its types do not resolve from the installed package:\n${tsc.output.trim()}`);
  if (failuresOf() === failuresBefore) console.log(`  ✓ ${pkg.name} installs alone and runs`);
}

function typesCheck(pkg) {
  const lines = [
    "import { StreamingContext, ManualClock, type DStream } from '@dstream/core';",
    'const ssc: StreamingContext = new StreamingContext({ batchInterval: 1000, clock: new ManualClock() });',
    'const stream: DStream<number> = ssc.queueStream<number>([[1]]);',
    'export { ssc, stream };',
  ];
  if (pkg.name !== '@dstream/core') {
    lines.push(`import * as subject from '${pkg.name}';`);
    lines.push('export const exported: string[] = Object.keys(subject);');
  }
  // Every other entry point too, except those needing an optional peer (vitest) not installed.
  let entry = 0;
  for (const subpath of Object.keys(pkg.manifest.exports ?? {})) {
    if (subpath === '.' || subpath === './package.json' || subpath === './vitest') continue;
    entry++;
    lines.push(`import * as entry${entry} from '${pkg.name}${subpath.slice(1)}';`);
    lines.push(`export const keys${entry}: string[] = Object.keys(entry${entry});`);
  }
  return `${lines.join('\n')}\n`;
}

// The tiny pipelines, run with node inside each temporary project against the installed files.
const SMOKE_TEST = String.raw`
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const name = process.argv[2];
const core = await import('@dstream/core');
const { StreamingContext, ManualClock, DStreamError } = core;

async function waitFor(predicate, what) {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// The engine itself: a word count on a manual clock.
{
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchInterval: 1000, clock });
  const out = [];
  ssc.queueStream([['a b', 'b']]).flatMap((line) => line.split(' ')).countByValue()
    .foreachBatch((batch) => { out.push(batch.collect().sort()); });
  ssc.start();
  clock.advance(1000);
  await ssc.awaitIdle();
  await ssc.stop();
  assert.deepEqual(out, [[['a', 1], ['b', 2]]]);
}

if (name !== '@dstream/core') {
  const subject = await import(name);
  assert.ok(Object.keys(subject).length > 0, name + ' exports nothing');
  // One engine: the package's errors extend the installed core's DStreamError ...
  for (const [key, value] of Object.entries(subject)) {
    if (typeof value === 'function' && value.prototype instanceof Error) {
      assert.ok(value.prototype instanceof DStreamError, key + ' does not extend the installed @dstream/core DStreamError');
    }
  }
  // ... and its stream factories reject bad arguments with errors of that same core.
  for (const [key, factory] of Object.entries(subject)) {
    if (typeof factory !== 'function' || !/^[a-z]\w*Stream$/.test(key)) continue;
    const ssc = new StreamingContext({ batchInterval: 1000, clock: new ManualClock() });
    let thrown;
    try {
      factory(ssc, { unknownOption: true });
    } catch (error) {
      thrown = error;
    }
    await ssc.stop();
    assert.ok(thrown instanceof DStreamError, key + '(ssc, { unknownOption: true }) did not throw a DStreamError of the installed core: ' + thrown);
  }
}

if (name === '@dstream/testkit') {
  const { createTestContext } = await import('@dstream/testkit');
  const tc = createTestContext();
  const input = tc.queue([[1, 2], [3]]);
  const doubled = tc.collect(input.stream.map((n) => n * 2));
  await tc.advance(2);
  await tc.stop();
  assert.deepEqual(doubled.records(), [[2, 4], [6]]);
  const nodeTest = await import('@dstream/testkit/node-test');
  assert.equal(typeof nodeTest.describeReceiverConformance, 'function');
}

if (name === '@dstream/file') {
  const { textFileSink } = await import('@dstream/file');
  const dir = await mkdtemp(join(tmpdir(), 'dstream-file-'));
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchInterval: 1000, clock });
  ssc.queueStream([['x', 'y']]).to(textFileSink(join(dir, 'out')));
  ssc.start();
  clock.advance(1000);
  await ssc.awaitIdle();
  await ssc.stop();
  const [batchDir] = (await readdir(dir)).filter((entry) => entry.startsWith('out-'));
  assert.ok(batchDir, 'textFileSink wrote no batch directory');
  const parts = (await readdir(join(dir, batchDir))).filter((entry) => entry.startsWith('part-'));
  const lines = (await Promise.all(parts.map((part) => readFile(join(dir, batchDir, part), 'utf8')))).join('').split('\n').filter(Boolean);
  assert.deepEqual(lines.sort(), ['x', 'y']);
}

if (name === '@dstream/socket') {
  const { socketTextStream } = await import('@dstream/socket');
  const server = createServer((socket) => socket.end('hello\nworld\n'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ssc = new StreamingContext({ batchInterval: 200, blockInterval: 50 });
  const lines = [];
  socketTextStream(ssc, '127.0.0.1', server.address().port).foreachBatch((batch) => { lines.push(...batch.collect()); });
  ssc.start();
  await waitFor(() => lines.length >= 2, 'two lines from the socket');
  await ssc.stop();
  server.close();
  assert.deepEqual(lines.slice(0, 2), ['hello', 'world']);
}

if (name === 'dstream-receiver-webhook') {
  const { createWebhookReceiver } = await import('dstream-receiver-webhook');
  const ssc = new StreamingContext({ batchInterval: 200, blockInterval: 50 });
  const receiver = createWebhookReceiver({ port: 0, framing: 'lines' });
  const records = [];
  ssc.receiverStream(receiver).foreachBatch((batch) => { records.push(...batch.collect()); });
  ssc.start();
  await waitFor(() => receiver.listening, 'the webhook to listen');
  const response = await fetch(receiver.url, { method: 'POST', body: '{"n":1}\n{"n":2}\n' });
  assert.equal(response.status, 200);
  await waitFor(() => records.length >= 2, 'two posted records');
  await ssc.stop();
  assert.deepEqual(records, [{ n: 1 }, { n: 2 }]);
}

console.log('ok ' + name);
`;

async function main() {
  const packages = publishablePackages();
  if (packages.length === 0) {
    console.error('No publishable package found');
    process.exit(1);
  }
  console.log(
    `[pack-install] ${packages.length} packages: ${packages.map((pkg) => pkg.name).join(', ')}`,
  );
  const ready = packages.filter(checkSource);
  const workDir = await mkdtemp(join(tmpdir(), 'dstream-pack-install-'));
  const tarballDir = join(workDir, 'tarballs');
  await mkdir(tarballDir, { recursive: true });
  try {
    console.log('[pack-install] packing and linting');
    const packed = await inParallel(ready, 4, async (pkg) => [
      pkg.name,
      await pack(pkg, tarballDir),
    ]);
    const tarballs = new Map(packed.filter(([, path]) => path !== undefined));
    if (!tarballs.has('@dstream/core')) {
      fail('@dstream/core', 'could not be packed; nothing can be installed without it');
    } else {
      console.log(
        '[pack-install] installing each package next to @dstream/core in an empty project',
      );
      await inParallel(
        ready.filter((pkg) => tarballs.has(pkg.name)),
        4,
        (pkg) => installAndRun(pkg, tarballs, workDir),
      );
    }
  } finally {
    if (keep) console.log(`[pack-install] kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const failedPackages = new Set(
    failures.map((failure) => failure.slice(0, failure.indexOf(': '))),
  );
  console.log(
    `\n[pack-install] ${packages.length - failedPackages.size} of ${packages.length} packages install alone and run (${seconds} s)`,
  );
  if (failures.length > 0) process.exit(1);
}

await main();
