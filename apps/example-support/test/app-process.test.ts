import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRun, killApp, startApp, type AppProcess } from '../src/testing.js';

let appDir: string;
const processes: AppProcess[] = [];

beforeAll(async () => {
  appDir = await mkdtemp(join(tmpdir(), 'app-process-'));
  await mkdir(join(appDir, 'dist'));
  await writeFile(
    join(appDir, 'dist', 'main.js'),
    "console.log(`hello ${process.argv[2]} ${process.env.APP_NAME ?? '-'} ${process.env.KEPT ?? '-'}`);\n",
  );
});

afterAll(async () => {
  processes.forEach(killApp);
  await rm(appDir, { recursive: true, force: true });
});

it('runs dist/main.js without the application variables of the environment, and waits for a line', async () => {
  process.env.APP_NAME = 'inherited';
  const app = startApp({
    appDir,
    args: ['world'],
    isAppVariable: (name) => name.startsWith('APP_'),
    env: { KEPT: 'given' },
  });
  delete process.env.APP_NAME;
  processes.push(app);
  await app.waitFor(/^hello world - given$/, 10_000);
  expect(await app.exited, describeRun(app)).toBe(0);
  await expect(app.waitFor(/never/, 50)).rejects.toThrow('No line matching /never/');
});
