import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/kill-loop.js';
import { compareRecords } from '../src/multiset.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function crashTest(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    timeout: 200_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the crash test', () => {
  it('files → stateful count → idempotent file sink is exactly once across SIGKILLs', () => {
    const { status, output } = crashTest('--kills', '3', '--pipeline', 'files');
    expect(output).toMatch(
      /pipeline=files kills=3 records=2000 lost=0 duplicated=0 unexpected=0 state=ok/,
    );
    expect(status).toBe(0);
  });

  it('names the pipelines it knows when given an unknown one', () => {
    const { status, output } = crashTest('--pipeline', 'nope');
    expect(output).toMatch(/Unknown pipeline "nope"; known pipelines: files/);
    expect(status).not.toBe(0);
  });
});

describe('record comparison', () => {
  it('counts lost, duplicated and unexpected records as multisets', () => {
    const result = compareRecords(['a', 'b', 'b', 'c'], ['a', 'a', 'b', 'x']);
    expect(result).toMatchObject({ lost: 2, duplicated: 1, unexpected: 1 });
    expect(result.examples).toEqual({ lost: ['b', 'c'], duplicated: ['a'], unexpected: ['x'] });
  });
});

describe('seeded kill moments', () => {
  it('repeat for the same seed and stay in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 100 }, () => a());
    expect(values).toEqual(Array.from({ length: 100 }, () => b()));
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});
