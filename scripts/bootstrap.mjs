#!/usr/bin/env node
// Runs a workspace script through pnpm, installing pnpm and the dependencies first when they are
// missing, so that `npm start` and `npm test` work on a machine with only Node.js and npm.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = manifest.packageManager.replace(/^pnpm@/, '');
const toolsDir = join(root, '.tools');
const localPnpm = join(toolsDir, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { cwd: root, encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim().split('.')[0] === pnpmVersion.split('.')[0]) {
    return ['pnpm', []];
  }
  if (!existsSync(localPnpm)) {
    console.log(`[dstream] installing pnpm ${pnpmVersion} into .tools/ ...`);
    const status = run('npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--silent',
      '--prefix',
      toolsDir,
      `pnpm@${pnpmVersion}`,
    ]);
    if (status !== 0) process.exit(status);
  }
  return [process.execPath, [localPnpm]];
}

function needsInstall() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  if (!existsSync(marker)) return true;
  return statSync(join(root, 'pnpm-lock.yaml')).mtimeMs > statSync(marker).mtimeMs;
}

const script = process.argv[2];
const [pnpm, prefix] = pnpmCommand();
if (needsInstall()) {
  console.log('[dstream] installing dependencies ...');
  const status = run(pnpm, [...prefix, 'install', '--frozen-lockfile']);
  if (status !== 0) process.exit(status);
}
const pathWithPnpm = `${join(toolsDir, 'node_modules', '.bin')}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH}`;
process.exit(
  run(pnpm, [...prefix, 'run', script, ...process.argv.slice(3)], {
    env: { ...process.env, PATH: pnpm === 'pnpm' ? process.env.PATH : pathWithPnpm },
  }),
);
