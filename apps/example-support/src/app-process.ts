// Runs a built sample application as a child process, as `pnpm start` does, for smoke tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Builds the application in `appDir` with tsup, so that tests run what `pnpm start` runs. */
export function buildApp(appDir: string): void {
  const tsupPackage = createRequire(join(appDir, 'package.json')).resolve('tsup/package.json');
  const result = spawnSync(
    process.execPath,
    [join(dirname(tsupPackage), 'dist', 'cli-default.js')],
    { cwd: appDir, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`tsup failed:\n${result.stdout}\n${result.stderr}`);
}

/** A running application and what it printed so far. */
export interface AppProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code once the process exits. */
  readonly exited: Promise<number | null>;
  /** Resolves once stdout has a line matching `pattern`; rejects after `timeout` ms. */
  waitFor(pattern: RegExp, timeout: number): Promise<void>;
}

/** Settings of {@link startApp}. */
export interface StartAppOptions {
  /** The application's directory: `dist/main.js` in it runs, with it as working directory. */
  readonly appDir: string;
  readonly args: readonly string[];
  /** Variables of the test's environment not passed on (the application's own settings). */
  readonly isAppVariable: (name: string) => boolean;
  /** Variables set for the application. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts `node dist/main.js` with `args`, without the application's variables unless given. */
export function startApp(options: StartAppOptions): AppProcess {
  const cleanEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !options.isAppVariable(name)) cleanEnv[name] = value;
  }
  const child = spawn(
    process.execPath,
    [join(options.appDir, 'dist', 'main.js'), ...options.args],
    {
      cwd: options.appDir,
      env: { ...cleanEnv, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const app: AppProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    waitFor(pattern, timeout) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (app.stdout.split('\n').some((line) => pattern.test(line))) {
            clearTimeout(timer);
            child.stdout.removeListener('data', check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          child.stdout.removeListener('data', check);
          reject(
            new Error(
              `No line matching ${pattern} within ${timeout} ms. Output:\n${app.stdout}\n${app.stderr}`,
            ),
          );
        }, timeout);
        child.stdout.on('data', check);
        check();
      });
    },
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (app.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (app.stderr += chunk));
  return app;
}

/** Kills the process if it is still running (a failed test must not leave it behind). */
export function killApp(app: AppProcess | undefined): void {
  if (app !== undefined && app.child.exitCode === null && app.child.signalCode === null)
    app.child.kill('SIGKILL');
}

/** What a run printed, for the message of a failed assertion. */
export function describeRun(app: AppProcess): string {
  return `exit status of ${app.child.spawnargs.slice(1).join(' ')}\n--- stdout\n${app.stdout}--- stderr\n${app.stderr}`;
}
