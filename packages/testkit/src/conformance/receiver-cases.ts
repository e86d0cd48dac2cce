import assert from 'node:assert/strict';
import type { ReceiverCapabilities } from '@dstream/core';
import { sleep, waitFor } from '../wait-for.js';
import { countActiveResources, resourcesAdded } from './active-resources.js';
import type { ConformanceCase, ConformancePlan, ExcludedCase } from './conformance-case.js';
import type { ReceiverCaseId, ReceiverHarness } from './receiver-harness.js';
import { messageOf, ReceiverRun, type ReceiverRunOptions } from './receiver-run.js';
import { resolveReceiverSettings, type ResolvedReceiverSettings } from './receiver-settings.js';

/** Ids published by one case start at `caseIndex * ID_SPACE`, so that cases never share ids. */
const ID_SPACE = 1_000_000;

interface ReceiverCaseDefinition {
  readonly id: ReceiverCaseId;
  readonly title: string;
  applies(capabilities: ReceiverCapabilities, harness: ReceiverHarness<unknown>): boolean;
  /** How many delivery timeouts the case may wait, plus a fixed margin. */
  readonly waits: number;
  run<T>(scope: CaseScope<T>): Promise<void>;
}

/**
 * What a case works with: the harness, the settings, its own id range, and the runs (contexts
 * with an instrumented receiver) it creates, all stopped when the case ends.
 */
class CaseScope<T> {
  private readonly runs: ReceiverRun<T>[] = [];
  private nextId: number;

  constructor(
    readonly harness: ReceiverHarness<T>,
    readonly settings: ResolvedReceiverSettings,
    idBase: number,
  ) {
    this.nextId = idBase;
  }

  /** `count` ids never published before in this suite. */
  ids(count: number = this.settings.records): number[] {
    const ids = Array.from({ length: count }, (_, index) => this.nextId + index);
    this.nextId += count;
    return ids;
  }

  /** A new context running a new receiver from the harness; stopped when the case ends. */
  async newRun(options: ReceiverRunOptions): Promise<ReceiverRun<T>> {
    const run = await ReceiverRun.create(this.harness, this.settings, options);
    this.runs.push(run);
    return run;
  }

  /** Starts a new run and waits until its source delivers. */
  async startedRun(options: ReceiverRunOptions): Promise<ReceiverRun<T>> {
    const run = await this.newRun(options);
    run.start();
    await run.whenReady();
    return run;
  }

  /** Waits until `list()` holds every id of `ids`; fails naming `what` and what is missing. */
  async waitForIds(
    run: ReceiverRun<T>,
    list: () => readonly number[],
    ids: readonly number[],
    what: string,
  ): Promise<void> {
    try {
      await waitFor(() => missing(list(), ids).length === 0, {
        timeout: this.settings.deliveryTimeout,
        interval: 10,
      });
    } catch {
      const absent = missing(list(), ids);
      assert.fail(
        `${this.harness.name}: ${what}: ${absent.length} of ${ids.length} records missing after ${this.settings.deliveryTimeout} ms (first missing ids: ${absent.slice(0, 5).join(', ')}); ${run.describe()}`,
      );
    }
  }

  /** Publishes `ids` and waits until the batches of `run` processed them all. */
  async publishAndAwait(run: ReceiverRun<T>, ids: readonly number[], what: string): Promise<void> {
    await this.harness.publish(ids);
    await this.waitForIds(run, () => run.processed, ids, what);
  }

  /** Stops every run still active, last first. */
  async close(): Promise<void> {
    for (const run of [...this.runs].reverse()) {
      if (run.ssc.state !== 'stopped') await run.stop();
    }
  }
}

/** The ids of `ids` that `seen` lacks. */
function missing(seen: readonly number[], ids: readonly number[]): number[] {
  const present = new Set(seen);
  return ids.filter((id) => !present.has(id));
}

/** The ids of `seen` that appear more than once. */
function duplicates(seen: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].filter(([, count]) => count > 1).map(([id]) => id);
}

async function acknowledged<T>(
  harness: ReceiverHarness<T>,
  ids: readonly number[],
): Promise<number[]> {
  const wanted = new Set(ids);
  const all = (await harness.acknowledgedIds?.()) ?? [];
  return [...new Set(all.filter((id) => wanted.has(id)))];
}

const always = (): boolean => true;

const RECEIVER_CASES: readonly ReceiverCaseDefinition[] = [
  {
    id: 'start-returns-promptly',
    title: 'onStart returns promptly, without a promise, and the receiver then delivers',
    applies: always,
    waits: 1,
    async run(scope) {
      const run = await scope.newRun({ ackOn: 'stored' });
      run.start();
      const [call] = run.startCalls();
      const name = scope.harness.name;
      assert.ok(call !== undefined, `${name}: the engine did not call onStart`);
      assert.equal(call.error, undefined, `${name}: onStart threw: ${messageOf(call.error)}`);
      assert.equal(
        call.returnedPromise,
        false,
        `${name}: onStart returned a promise; it must start its work in the background and return (report failures with restart() or reportError())`,
      );
      assert.ok(
        call.duration <= scope.settings.startTimeout,
        `${name}: onStart took ${Math.round(call.duration)} ms; it must not block (limit ${scope.settings.startTimeout} ms)`,
      );
      assert.equal(run.receiver.isStopped(), false, `${name}: isStopped() is true after start`);
      await run.whenReady();
      await scope.publishAndAwait(run, scope.ids(5), 'records published after the start');
    },
  },
  {
    id: 'delivers-published-records',
    title: 'delivers every published record to the batches',
    applies: always,
    waits: 1,
    async run(scope) {
      const run = await scope.startedRun({ ackOn: 'stored' });
      const ids = scope.ids();
      await scope.publishAndAwait(run, ids, 'published records');
      if (!scope.harness.capabilities.reliable) {
        const repeated = duplicates(run.processed);
        assert.deepEqual(
          repeated,
          [],
          `${scope.harness.name}: an unreliable receiver delivered records twice (ids ${repeated.slice(0, 5).join(', ')})`,
        );
      }
    },
  },
  {
    id: 'keeps-source-order',
    title: 'keeps the order of its source (ordered)',
    applies: (capabilities) => capabilities.ordered,
    waits: 1,
    async run(scope) {
      const run = await scope.startedRun({ ackOn: 'stored' });
      const ids = scope.ids();
      await scope.publishAndAwait(run, ids, 'published records');
      const wanted = new Set(ids);
      const seen = new Set<number>();
      const order: number[] = [];
      for (const id of run.processed) {
        if (!wanted.has(id) || seen.has(id)) continue;
        seen.add(id);
        order.push(id);
      }
      for (let i = 1; i < order.length; i++) {
        assert.ok(
          order[i - 1] < order[i],
          `${scope.harness.name}: declares ordered but stored id ${order[i]} after id ${order[i - 1]} (published in increasing order)`,
        );
      }
    },
  },
  {
    id: 'stop-releases-everything',
    title: 'onStop releases everything it holds and is safe to call twice',
    applies: always,
    waits: 2,
    async run(scope) {
      const name = scope.harness.name;
      const cycle = async (): Promise<void> => {
        const run = await scope.startedRun({ ackOn: 'stored' });
        await scope.publishAndAwait(run, scope.ids(5), 'records published before the stop');
        await run.stop();
        const stops = run.calls.filter((call) => call.method === 'onStop');
        assert.equal(
          stops.length,
          1,
          `${name}: the engine's stop called onStop ${stops.length} times`,
        );
        assert.equal(
          stops[0].error,
          undefined,
          `${name}: onStop failed: ${messageOf(stops[0].error)}`,
        );
        assert.equal(
          run.receiver.isStopped(),
          true,
          `${name}: isStopped() is false after the stop`,
        );
        try {
          await run.receiver.onStop();
        } catch (error) {
          assert.fail(`${name}: onStop failed when called a second time: ${messageOf(error)}`);
        }
        await scope.harness.assertReleased?.(run.receiver);
      };
      // The first cycle warms up what outlives receivers (the harness's clients, lazy modules);
      // a second cycle must then leave no more handles than the first left.
      await cycle();
      await sleep(scope.settings.blockInterval);
      const baseline = countActiveResources();
      await cycle();
      let leaked: string[] = [];
      try {
        await waitFor(
          () => {
            leaked = resourcesAdded(baseline, countActiveResources());
            return leaked.length === 0;
          },
          { timeout: 3000, interval: 25 },
        );
      } catch {
        assert.fail(
          `${name}: after start and stop the process holds more handles than before (${leaked.join(', ')}): onStop (or onClose) must close sockets, servers, watchers and timers`,
        );
      }
    },
  },
  {
    id: 'restart-stops-then-starts',
    title: 'restart() stops the receiver, then starts it again, and it delivers again',
    applies: always,
    waits: 3,
    async run(scope) {
      const name = scope.harness.name;
      const run = await scope.startedRun({ ackOn: 'stored' });
      await scope.publishAndAwait(run, scope.ids(10), 'records published before the restart');
      const callsBefore = run.calls.length;
      run.receiver.restart('conformance: restart requested by the suite');
      try {
        await waitFor(() => run.startCalls().length >= 2, {
          timeout: scope.settings.deliveryTimeout,
        });
      } catch {
        assert.fail(`${name}: restart() did not start the receiver again; ${run.describe()}`);
      }
      const [stop, start] = run.calls.slice(callsBefore);
      assert.equal(stop?.method, 'onStop', `${name}: restart() did not call onStop first`);
      assert.equal(
        start?.method,
        'onStart',
        `${name}: restart() called onStop twice before onStart`,
      );
      assert.equal(
        start.unsettledStops,
        0,
        `${name}: onStart was called before onStop had finished`,
      );
      assert.equal(
        start.error,
        undefined,
        `${name}: onStart threw on restart: ${messageOf(start.error)}`,
      );
      assert.equal(
        run.receiver.isStopped(),
        false,
        `${name}: isStopped() is true after the restart`,
      );
      await run.whenReady();
      await scope.publishAndAwait(run, scope.ids(10), 'records published after the restart');
    },
  },
  {
    id: 'report-error-keeps-running',
    title: 'reportError() reaches listeners and the receiver keeps running',
    applies: always,
    waits: 2,
    async run(scope) {
      const name = scope.harness.name;
      const run = await scope.startedRun({ ackOn: 'stored' });
      await scope.publishAndAwait(run, scope.ids(10), 'records published before the error');
      const callsBefore = run.calls.length;
      const error = new Error('conformance: an error reported by the suite');
      run.receiver.reportError(error);
      assert.ok(
        run.receiverErrors.includes(error),
        `${name}: the reported error did not reach listeners`,
      );
      assert.equal(
        run.receiver.isStopped(),
        false,
        `${name}: isStopped() is true after reportError()`,
      );
      assert.equal(
        run.ssc.state,
        'active',
        `${name}: the context is no longer active after reportError()`,
      );
      await scope.publishAndAwait(run, scope.ids(10), 'records published after the error');
      assert.equal(
        run.calls.length,
        callsBefore,
        `${name}: reportError() stopped or restarted the receiver`,
      );
    },
  },
  {
    id: 'slows-down-under-backpressure',
    title: 'slows its source down when store() asks it to (maxRate)',
    applies: always,
    waits: 1,
    async run(scope) {
      const name = scope.harness.name;
      const { maxRate, records, duration, allowance } = scope.settings.backpressure;
      const run = await scope.newRun({ ackOn: 'stored', maxRate });
      const startedAt = performance.now();
      run.start();
      await run.whenReady();
      const publishedAt = performance.now();
      await scope.harness.publish(scope.ids(records));
      // Halfway through, the receiver must still be taking records: paused, but not stuck.
      let takenHalfway: number | undefined;
      for (;;) {
        const taken = run.handedCount;
        const now = performance.now();
        // The rate limiter allows one second of burst, then maxRate records per second.
        const bound = maxRate * (1 + (now - startedAt) / 1000) + allowance;
        assert.ok(
          taken <= bound,
          `${name}: took ${taken} records ${Math.round(now - startedAt)} ms after the start under maxRate ${maxRate}/s; at most ${Math.floor(bound)} expected: it must pause its source when store() returns false, until awaitCapacity() resolves`,
        );
        if (takenHalfway === undefined && now - publishedAt >= duration / 2) takenHalfway = taken;
        if (now - publishedAt >= duration) break;
        await sleep(25);
      }
      assert.ok(
        run.handedCount > 0,
        `${name}: took no record at all under backpressure; ${run.describe()}`,
      );
      if (takenHalfway !== undefined && takenHalfway < records) {
        assert.ok(
          run.handedCount > takenHalfway,
          `${name}: stopped taking records under backpressure (${takenHalfway} halfway through, still ${run.handedCount} at the end): it must resume once awaitCapacity() resolves`,
        );
      }
    },
  },
  {
    id: 'graceful-stop-drains',
    title: 'a graceful stop puts everything the receiver took into the final batches',
    applies: always,
    waits: 3,
    async run(scope) {
      const name = scope.harness.name;
      // On a manual clock no batch runs before the stop: everything taken is still held.
      const run = await scope.startedRun({ ackOn: 'stored', manualClock: true });
      const ids = scope.ids();
      await scope.harness.publish(ids);
      const deliveredIds = scope.harness.deliveredIds?.bind(scope.harness);
      if (deliveredIds !== undefined) {
        let delivered: readonly number[] = [];
        try {
          await waitFor(
            async () => {
              delivered = await deliveredIds();
              return missing(delivered, ids).length === 0;
            },
            { timeout: scope.settings.deliveryTimeout },
          );
        } catch {
          assert.fail(
            `${name}: the source did not deliver the published records to the receiver; ${run.describe()}`,
          );
        }
      } else {
        await scope.waitForIds(
          run,
          () => run.handed,
          ids,
          'records handed to the engine before the stop',
        );
      }
      await run.stop(true);
      const lost = missing(run.processed, ids);
      assert.deepEqual(
        lost,
        [],
        `${name}: ${lost.length} of ${ids.length} records the receiver had taken were not in the batches of the graceful stop (first: ${lost.slice(0, 5).join(', ')}); onStop must hand over what it holds; ${run.describe()}`,
      );
      if (scope.harness.acknowledgedIds !== undefined) {
        const ackedButLost = missing(run.processed, await acknowledged(scope.harness, ids));
        assert.deepEqual(
          ackedButLost,
          [],
          `${name}: acknowledged records that were never processed`,
        );
      }
    },
  },
  {
    id: 'acknowledges-only-when-told',
    title: 'acknowledges its source only when the engine says so (reliable)',
    applies: (capabilities, harness) =>
      capabilities.reliable && harness.acknowledgedIds !== undefined,
    waits: 2,
    async run(scope) {
      const name = scope.harness.name;
      const run = await scope.newRun({ ackOn: 'processed' });
      run.closeGate();
      run.start();
      await run.whenReady();
      const ids = scope.ids();
      await scope.harness.publish(ids);
      await scope.waitForIds(run, () => run.handed, ids, 'records handed to the engine');
      // Give a receiver that acknowledges on receipt the time to show it.
      await sleep(Math.max(200, 2 * scope.settings.blockInterval));
      const early = await acknowledged(scope.harness, ids);
      assert.deepEqual(
        early,
        [],
        `${name}: acknowledged ${early.length} records whose batch was not processed yet (ackOn 'processed'); a reliable receiver acknowledges only in onAcknowledge`,
      );
      run.openGate();
      try {
        await waitFor(async () => (await acknowledged(scope.harness, ids)).length === ids.length, {
          timeout: scope.settings.deliveryTimeout,
        });
      } catch {
        const count = (await acknowledged(scope.harness, ids)).length;
        assert.fail(
          `${name}: acknowledged only ${count} of ${ids.length} records after their batches were processed; ${run.describe()}`,
        );
      }
    },
  },
  {
    id: 'redelivers-after-restart',
    title: 'gets again after a restart what was never acknowledged (reliable)',
    applies: (capabilities) => capabilities.reliable,
    waits: 3,
    async run(scope) {
      const name = scope.harness.name;
      const run = await scope.newRun({ ackOn: 'processed' });
      run.failOutputs = true;
      run.start();
      await run.whenReady();
      const ids = scope.ids();
      await scope.harness.publish(ids);
      await scope.waitForIds(run, () => run.failed, ids, 'records stored in batches that fail');
      run.failOutputs = false;
      run.receiver.restart('conformance: restart to receive unacknowledged records again');
      try {
        await waitFor(() => run.startCalls().length >= 2, {
          timeout: scope.settings.deliveryTimeout,
        });
      } catch {
        assert.fail(`${name}: restart() did not start the receiver again; ${run.describe()}`);
      }
      await run.whenReady();
      await scope.waitForIds(
        run,
        () => run.processed,
        ids,
        'records never acknowledged (their batches failed) were not delivered again after the restart: a reliable receiver acknowledges only in onAcknowledge',
      );
    },
  },
  {
    id: 'replays-to-a-new-receiver',
    title: 'a new receiver on the same source replays what was never acknowledged (replayable)',
    applies: (capabilities) => capabilities.replayable,
    waits: 3,
    async run(scope) {
      const first = await scope.newRun({ ackOn: 'processed' });
      first.failOutputs = true;
      first.start();
      await first.whenReady();
      const ids = scope.ids();
      await scope.harness.publish(ids);
      await scope.waitForIds(first, () => first.failed, ids, 'records stored in batches that fail');
      await first.stop();
      const second = await scope.startedRun({ ackOn: 'processed' });
      await scope.waitForIds(
        second,
        () => second.processed,
        ids,
        'records the first receiver never acknowledged were not replayed to a new receiver on the same source',
      );
    },
  },
];

/** The ids of every receiver case, in the order the suite runs them. */
export const RECEIVER_CASE_IDS: readonly ReceiverCaseId[] = RECEIVER_CASES.map(
  (definition) => definition.id,
);

/**
 * The receiver conformance cases that apply to the receiver of `harness`, by its declared
 * capabilities, as framework-independent {@link ConformanceCase}s; and those the harness
 * excluded. Register each case with your test framework, or run them with
 * `runConformancePlan`.
 */
export function receiverConformancePlan<T>(harness: ReceiverHarness<T>): ConformancePlan {
  checkHarness(harness);
  const settings = resolveReceiverSettings(harness.settings);
  const cases: ConformanceCase[] = [];
  const excluded: ExcludedCase[] = [];
  RECEIVER_CASES.forEach((definition, index) => {
    if (!definition.applies(harness.capabilities, harness)) return;
    const reason = settings.exclude[definition.id];
    if (reason !== undefined) {
      excluded.push({ id: definition.id, title: definition.title, reason });
      return;
    }
    cases.push({
      id: definition.id,
      title: definition.title,
      timeout: definition.waits * settings.deliveryTimeout + 10_000,
      run: async () => {
        const scope = new CaseScope(harness, settings, (index + 1) * ID_SPACE);
        await harness.setup?.();
        try {
          await definition.run(scope);
        } finally {
          try {
            await scope.close();
          } finally {
            await harness.teardown?.();
          }
        }
      },
    });
  });
  return { name: harness.name, cases, excluded };
}

function checkHarness<T>(harness: ReceiverHarness<T>): void {
  assert.ok(
    harness !== null && typeof harness === 'object',
    'a receiver harness must be an object',
  );
  assert.equal(typeof harness.name, 'string', 'a receiver harness needs a name');
  for (const method of ['createReceiver', 'publish', 'idOf'] as const) {
    assert.equal(
      typeof harness[method],
      'function',
      `the receiver harness ${harness.name} needs ${method}()`,
    );
  }
  const capabilities = harness.capabilities;
  assert.ok(
    capabilities !== null &&
      typeof capabilities === 'object' &&
      typeof capabilities.reliable === 'boolean' &&
      typeof capabilities.replayable === 'boolean' &&
      typeof capabilities.ordered === 'boolean',
    `the receiver harness ${harness.name} needs capabilities { reliable, replayable, ordered }`,
  );
}
