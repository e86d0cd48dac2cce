import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = fileURLToPath(new URL('../.dstream-tmp/node-test-dist', import.meta.url));
const suite = fileURLToPath(new URL('./fixtures/node-test-suite.mjs', import.meta.url));

/** Runs the node:test fixture with the testkit built from the current sources. */
function runNodeTest(env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', suite], {
    cwd: packageDir,
    env: { ...process.env, DSTREAM_TESTKIT_DIST: outDir, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('@dstream/testkit/node-test', () => {
  beforeAll(async () => {
    await build({
      entry: { index: 'src/index.ts', 'node-test': 'src/node-test.ts' },
      format: ['esm'],
      outDir,
      dts: false,
      silent: true,
      config: false,
      target: 'node20',
      external: ['@dstream/core', 'vitest'],
      removeNodeProtocol: false,
    });
  }, 60_000);

  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it('runs a test context and the receiver conformance suite under node:test, without vitest', () => {
    const { status, output } = runNodeTest();
    expect(output).toMatch(/# pass 9\b/);
    expect(output).toMatch(/# fail 0\b/);
    expect(output).toContain('ok 1 - counts words per batch');
    expect(output).toContain('receiver conformance: number receiver');
    expect(output).not.toContain('vitest');
    expect(status).toBe(0);
  }, 120_000);

  it('fails the node:test run when a receiver breaks the contract', () => {
    const { status, output } = runNodeTest({ DSTREAM_BROKEN_START: '1' });
    expect(output).toMatch(/not ok \d+ - onStart returns promptly/);
    expect(output).toMatch(/onStart took \d+ ms; it must not block/);
    expect(output).toMatch(
      /ok \d+ - slows its source down .* # SKIP excluded: not what this run checks/,
    );
    expect(status).not.toBe(0);
  }, 120_000);
});
