import assert from 'node:assert/strict';
import {
  Batch,
  ConfigurationError,
  deadLetter,
  jsonDecoder,
  RecordDecoding,
  requirePositiveInteger,
  silentLogger,
  type DeadLetterRecord,
  type Sink,
  type SinkBatchContext,
  type SinkGuarantee,
  type SinkWriteContext,
} from '@dstream/core';
import { createTestContext, type TestContext } from '../test-context.js';
import { waitFor } from '../wait-for.js';
import type { ConformanceCase, ConformancePlan, ExcludedCase } from './conformance-case.js';
import type { SinkCaseId, SinkHarness } from './sink-harness.js';
import { messageOf } from './receiver-run.js';

/** The batch interval of the contexts of the sink cases; batch times are 1000, 2000, … */
const BATCH_INTERVAL = 1000;
const ID_SPACE = 1_000_000;

interface ResolvedSinkSettings {
  readonly records: number;
  readonly deadLetters: number;
  readonly visibilityTimeout: number;
  readonly exclude: Partial<Record<SinkCaseId, string>>;
}

interface SinkCaseDefinition {
  readonly id: SinkCaseId;
  readonly title: string;
  applies(guarantee: SinkGuarantee): boolean;
  run<T>(scope: SinkScope<T>): Promise<void>;
}

/** A batch to write: its records' ids, their version and how many partitions it has. */
interface PlannedBatch {
  readonly ids: readonly number[];
  readonly version: number;
  readonly partitions: number;
}

/** What a sink case works with: the harness, its own ids, and the contexts it runs. */
class SinkScope<T> {
  private nextId: number;
  private readonly contexts: TestContext[] = [];

  constructor(
    readonly harness: SinkHarness<T>,
    readonly settings: ResolvedSinkSettings,
    idBase: number,
  ) {
    this.nextId = idBase;
  }

  /** A batch of fresh ids. */
  batch(partitions: number, version = 0): PlannedBatch {
    return { ids: this.ids(this.settings.records), version, partitions };
  }

  /** `count` fresh ids. */
  ids(count: number): number[] {
    const ids = Array.from({ length: count }, (_, index) => this.nextId + index);
    this.nextId += ids.length;
    return ids;
  }

  /** A new sink from the harness, checked against its declared guarantee. */
  async createSink(): Promise<Sink<T>> {
    const sink = await this.harness.createSink();
    assert.ok(
      sink !== null && typeof sink === 'object' && typeof sink.write === 'function',
      `${this.harness.name}: createSink() did not return a Sink`,
    );
    assert.equal(
      sink.guarantee,
      this.harness.guarantee,
      `${this.harness.name}: the sink declares '${String(sink.guarantee)}' but the harness says '${this.harness.guarantee}'`,
    );
    if (sink.guarantee === 'transactional') {
      for (const hook of ['beginBatch', 'commitBatch', 'abortBatch'] as const) {
        assert.equal(
          typeof sink[hook],
          'function',
          `${this.harness.name}: a transactional sink needs ${hook}()`,
        );
      }
    }
    return sink;
  }

  /**
   * Writes `batches` (one per batch time from 1000 ms; `undefined` for an empty batch) to
   * `sink` through the engine on a manual clock, and leaves the context running.
   */
  async write(sink: Sink<T>, batches: readonly (PlannedBatch | undefined)[]): Promise<TestContext> {
    const tc = this.context();
    const queue = batches.map((planned) =>
      planned === undefined
        ? Batch.empty<T>()
        : Batch.of(
            planned.ids.map((id) => this.harness.record(id, planned.version)),
            planned.partitions,
          ),
    );
    tc.ssc.queueStream<T>(queue).to(sink);
    await tc.advance(batches.length);
    return tc;
  }

  /** A new test context on a manual clock; stopped when the case ends. */
  context(): TestContext {
    // Silent: some cases fail batches on purpose; what they check is what a reader sees.
    const tc = createTestContext({ batchInterval: BATCH_INTERVAL, logger: silentLogger });
    this.contexts.push(tc);
    return tc;
  }

  /** Waits until `condition` holds for what is visible; returns what was last read. */
  async visibleWhen(condition: (visible: readonly T[]) => boolean): Promise<readonly T[]> {
    let visible: readonly T[] = [];
    try {
      await waitFor(
        async () => {
          visible = await this.harness.readVisible();
          return condition(visible);
        },
        { timeout: this.settings.visibilityTimeout, interval: 25 },
      );
    } catch {
      // Time is up: the assertions of the case say what is wrong with what is visible.
    }
    return visible;
  }

  /** Stops every context still active. */
  async close(): Promise<void> {
    for (const tc of this.contexts) await tc.stop();
  }
}

/** How often each id of `ids` is visible, and at which versions. */
function visibility<T>(
  harness: SinkHarness<T>,
  visible: readonly T[],
  ids: readonly number[],
): Map<number, number[]> {
  const wanted = new Set(ids);
  const seen = new Map<number, number[]>();
  for (const id of ids) seen.set(id, []);
  for (const record of visible) {
    const id = harness.idOf(record);
    if (wanted.has(id)) seen.get(id)!.push(harness.versionOf(record));
  }
  return seen;
}

function allVisible(seen: ReadonlyMap<number, readonly number[]>): boolean {
  for (const versions of seen.values()) if (versions.length === 0) return false;
  return true;
}

function idsOf(batches: readonly PlannedBatch[]): number[] {
  return batches.flatMap((planned) => planned.ids);
}

/** Fails unless every id of `ids` is visible exactly once (at `version`, when given). */
function assertExactlyOnce(
  name: string,
  seen: ReadonlyMap<number, readonly number[]>,
  version: number | undefined,
  context: string,
): void {
  const absent: number[] = [];
  const repeated: number[] = [];
  const stale: number[] = [];
  for (const [id, versions] of seen) {
    if (versions.length === 0) absent.push(id);
    else if (versions.length > 1) repeated.push(id);
    else if (version !== undefined && versions[0] !== version) stale.push(id);
  }
  assert.deepEqual(
    absent,
    [],
    `${name}: ${context}: ${absent.length} records are not visible (first ids: ${absent.slice(0, 5).join(', ')})`,
  );
  assert.deepEqual(
    repeated,
    [],
    `${name}: ${context}: ${repeated.length} records are visible more than once (id ${repeated[0]}: versions ${String(seen.get(repeated[0]))})`,
  );
  assert.deepEqual(
    stale,
    [],
    `${name}: ${context}: ${stale.length} records still show the earlier write instead of the rewrite (id ${stale[0]}: version ${String(seen.get(stale[0]))}, expected ${version})`,
  );
}

/**
 * A sink that passes everything to `sink`, but at batch time `failTime` passes the last
 * partition's write on and then fails it (`'throw'`), or never finishes it (`'hang'`, as a
 * process that dies in the middle of a batch). `reached` resolves when that happens.
 */
function failingAt<T>(
  sink: Sink<T>,
  failTime: number,
  mode: 'throw' | 'hang',
): { sink: Sink<T>; reached: Promise<void> } {
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const wrapper: Sink<T> = {
    guarantee: sink.guarantee,
    name: sink.name,
    open: () => sink.open?.(),
    close: () => sink.close?.(),
    beginBatch: (batch: SinkBatchContext) => sink.beginBatch?.(batch),
    commitBatch: (batch: SinkBatchContext) => sink.commitBatch?.(batch),
    abortBatch: (batch: SinkBatchContext, error: unknown) => sink.abortBatch?.(batch, error),
    async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
      await sink.write(records, context);
      if (context.batchTime !== failTime || context.partition !== context.numPartitions - 1) return;
      reach();
      if (mode === 'throw')
        throw new Error('conformance: this batch fails after its last write, on purpose');
      await new Promise<never>(() => undefined);
    },
  };
  return { sink: wrapper, reached };
}

/**
 * A sink for dead letters that hands each letter to `sink` as the harness's record of the id
 * the letter's source names (`record <id>`), keeping every write's batch time, partition and
 * batch hooks: what the sink does with the engine's dead-letter writes is what a reader sees.
 */
function deadLettersInto<T>(sink: Sink<T>, harness: SinkHarness<T>): Sink<DeadLetterRecord> {
  return {
    guarantee: sink.guarantee,
    name: `dead letters into ${sink.name ?? harness.name}`,
    open: () => sink.open?.(),
    close: () => sink.close?.(),
    beginBatch: (batch: SinkBatchContext) => sink.beginBatch?.(batch),
    commitBatch: (batch: SinkBatchContext) => sink.commitBatch?.(batch),
    abortBatch: (batch: SinkBatchContext, error: unknown) => sink.abortBatch?.(batch, error),
    write(letters: readonly DeadLetterRecord[], context: SinkWriteContext) {
      const records = letters.map((letter) =>
        harness.record(Number(/^record (\d+)$/.exec(letter.source)?.[1] ?? NaN), 0),
      );
      return sink.write(records, context);
    },
  };
}

/** Decodes payloads that are never valid JSON, one per id, under a dead-letter policy. */
class UndecodableRecords {
  private id = 0;
  private readonly describeSource = (): string => `record ${this.id}`;

  constructor(private readonly decoding: RecordDecoding<unknown>) {}

  /** Decodes a bad payload for each id; every one becomes a dead letter. */
  decode(ids: readonly number[]): void {
    for (const id of ids) {
      this.id = id;
      const decoded = this.decoding.decode(
        Buffer.from(`{"id": ${id}, not json`),
        this.describeSource,
      );
      assert.equal(decoded, RecordDecoding.SKIPPED, 'an undecodable payload was decoded');
    }
  }

  /** Resolves once the letters handed over so far are written. */
  written(): Promise<void> {
    return this.decoding.pendingDeadLetters();
  }
}

const SINK_CASES: readonly SinkCaseDefinition[] = [
  {
    id: 'writes-every-record',
    title: 'writes every record of every batch, once',
    applies: () => true,
    async run(scope) {
      const batches = [scope.batch(2), scope.batch(3), scope.batch(1)];
      const tc = await scope.write(await scope.createSink(), [
        batches[0],
        batches[1],
        undefined,
        batches[2],
      ]);
      await tc.stop();
      const ids = idsOf(batches);
      const visible = await scope.visibleWhen((records) =>
        allVisible(visibility(scope.harness, records, ids)),
      );
      assertExactlyOnce(
        scope.harness.name,
        visibility(scope.harness, visible, ids),
        0,
        'after writing three batches',
      );
    },
  },
  {
    id: 'rewrite-replaces',
    title: 'a rewrite of a batch time and partition replaces what was written (idempotent)',
    applies: (guarantee) => guarantee === 'idempotent',
    async run(scope) {
      const first = scope.batch(2);
      const second = scope.batch(2);
      const before = await scope.write(await scope.createSink(), [first, second]);
      await before.stop();
      // A restarted process recomputes both batches; the first one now with different content.
      const rewrite: PlannedBatch = { ...first, version: 1 };
      const after = await scope.write(await scope.createSink(), [rewrite, second]);
      await after.stop();
      const name = scope.harness.name;
      const firstIds = first.ids;
      const visible = await scope.visibleWhen((records) => {
        const seen = visibility(scope.harness, records, firstIds);
        return [...seen.values()].every((versions) => versions.length === 1 && versions[0] === 1);
      });
      assertExactlyOnce(
        name,
        visibility(scope.harness, visible, firstIds),
        1,
        'after rewriting a batch with new content',
      );
      assertExactlyOnce(
        name,
        visibility(scope.harness, visible, second.ids),
        0,
        'after rewriting a batch with the same content',
      );
    },
  },
  {
    id: 'rewrite-never-duplicates',
    title: 'a rewrite of a committed batch never duplicates it (transactional)',
    applies: (guarantee) => guarantee === 'transactional',
    async run(scope) {
      const first = scope.batch(2);
      const second = scope.batch(2);
      const before = await scope.write(await scope.createSink(), [first, second]);
      await before.stop();
      const after = await scope.write(await scope.createSink(), [first, second]);
      await after.stop();
      const ids = idsOf([first, second]);
      const visible = await scope.visibleWhen((records) =>
        allVisible(visibility(scope.harness, records, ids)),
      );
      assertExactlyOnce(
        scope.harness.name,
        visibility(scope.harness, visible, ids),
        undefined,
        'after writing two batches twice',
      );
    },
  },
  {
    id: 'aborted-batch-invisible',
    title: 'shows nothing of a batch whose write failed (transactional)',
    applies: (guarantee) => guarantee === 'transactional',
    async run(scope) {
      const name = scope.harness.name;
      const committed = scope.batch(2);
      const aborted = scope.batch(2);
      const marker = scope.batch(2);
      const failing = failingAt(await scope.createSink(), 2 * BATCH_INTERVAL, 'throw');
      const tc = await scope.write(failing.sink, [committed, aborted, marker]);
      await failing.reached;
      const visibleIds = idsOf([committed, marker]);
      const check = async (when: string): Promise<void> => {
        const visible = await scope.visibleWhen((records) =>
          allVisible(visibility(scope.harness, records, visibleIds)),
        );
        assertExactlyOnce(
          name,
          visibility(scope.harness, visible, visibleIds),
          0,
          `the committed batches ${when}`,
        );
        const leaked = [...visibility(scope.harness, visible, aborted.ids)].filter(
          ([, versions]) => versions.length > 0,
        );
        assert.deepEqual(
          leaked.map(([id]) => id),
          [],
          `${name}: ${leaked.length} records of the aborted batch are visible ${when}; abortBatch must discard what was written for the batch`,
        );
      };
      await check('while the sink is open');
      await tc.stop();
      await check('after the sink closed');
    },
  },
  {
    id: 'uncommitted-batch-invisible-after-crash',
    title:
      'shows nothing of a batch that was neither committed nor aborted when the process stopped (transactional)',
    applies: (guarantee) => guarantee === 'transactional',
    async run<T>(scope: SinkScope<T>) {
      const name = scope.harness.name;
      const committed = scope.batch(2);
      const interrupted = scope.batch(2);
      const marker = scope.batch(2);
      const hanging = failingAt(await scope.createSink(), 2 * BATCH_INTERVAL, 'hang');
      const tc = scope.context();
      tc.ssc
        .queueStream<T>([
          Batch.of(
            committed.ids.map((id) => scope.harness.record(id, 0)),
            2,
          ),
          Batch.of(
            interrupted.ids.map((id) => scope.harness.record(id, 0)),
            2,
          ),
        ])
        .to(hanging.sink);
      await tc.advance(1);
      // The second batch's writes happen, then it never finishes: stop the process under it.
      tc.clock.advance(BATCH_INTERVAL);
      await hanging.reached;
      await tc.stop();
      // A restarted process writes a later batch, which a reader then sees.
      await (await scope.write(await scope.createSink(), [undefined, undefined, marker])).stop();
      const visibleIds = idsOf([committed, marker]);
      const visible = await scope.visibleWhen((records) =>
        allVisible(visibility(scope.harness, records, visibleIds)),
      );
      assertExactlyOnce(
        name,
        visibility(scope.harness, visible, visibleIds),
        0,
        'the committed batches',
      );
      const leaked = [...visibility(scope.harness, visible, interrupted.ids)].filter(
        ([, versions]) => versions.length > 0,
      );
      assert.deepEqual(
        leaked.map(([id]) => id),
        [],
        `${name}: ${leaked.length} records of a batch that was never committed are visible after a stop; uncommitted writes must never become visible`,
      );
    },
  },
  {
    id: 'dead-letters-all-arrive',
    title: 'dead-letters N records into the sink and N come back, each once',
    applies: () => true,
    async run<T>(scope: SinkScope<T>) {
      const name = scope.harness.name;
      const total = scope.settings.deadLetters;
      const ids = scope.ids(total);
      const tc = scope.context();
      const records = new UndecodableRecords(
        new RecordDecoding(
          jsonDecoder,
          deadLetter(deadLettersInto(await scope.createSink(), scope.harness)),
          silentLogger,
        ),
      );
      // Spread as connectors produce them: before the first batch exists, while a direct source
      // computes a batch and waits for its letters, in bursts a reliable receiver waits for
      // between batches, and many within one millisecond that only the batch writes.
      const quarter = Math.floor(total / 4);
      const parts = [
        ids.slice(0, quarter),
        ids.slice(quarter, 2 * quarter),
        ids.slice(2 * quarter, 3 * quarter),
        ids.slice(3 * quarter),
      ];
      records.decode(parts[0]);
      tc.ssc
        .inputStream<number>({
          kind: 'undecodable',
          computeBatch: async (time) => {
            if (time === BATCH_INTERVAL) {
              records.decode(parts[1]);
              await records.written();
            }
            return { batch: Batch.empty<number>() };
          },
        })
        .foreachBatch(() => undefined);
      await tc.advance(1);
      const bursts = 5;
      for (let burst = 0; burst < bursts; burst++) {
        const size = Math.ceil(parts[2].length / bursts);
        records.decode(parts[2].slice(burst * size, (burst + 1) * size));
        await records.written();
      }
      await tc.advance(1);
      records.decode(parts[3]);
      await tc.advance(2);
      await tc.stop();
      const visible = await scope.visibleWhen((written) =>
        allVisible(visibility(scope.harness, written, ids)),
      );
      assertExactlyOnce(
        name,
        visibility(scope.harness, visible, ids),
        0,
        `after dead-lettering ${total} records`,
      );
    },
  },
];

/** The ids of every sink case, in the order the suite runs them. */
export const SINK_CASE_IDS: readonly SinkCaseId[] = SINK_CASES.map((definition) => definition.id);

/**
 * The sink conformance cases that apply to the sink of `harness`, by its declared guarantee,
 * as framework-independent {@link ConformanceCase}s; and those the harness excluded.
 */
export function sinkConformancePlan<R>(harness: SinkHarness<R>): ConformancePlan {
  checkHarness(harness);
  const settings = resolveSinkSettings(harness);
  const cases: ConformanceCase[] = [];
  const excluded: ExcludedCase[] = [];
  SINK_CASES.forEach((definition, index) => {
    if (!definition.applies(harness.guarantee)) return;
    const reason = settings.exclude[definition.id];
    if (reason !== undefined) {
      excluded.push({ id: definition.id, title: definition.title, reason });
      return;
    }
    cases.push({
      id: definition.id,
      title: definition.title,
      timeout: 2 * settings.visibilityTimeout + 20_000,
      run: async () => {
        const scope = new SinkScope(harness, settings, (index + 1) * ID_SPACE);
        await harness.setup?.();
        try {
          await definition.run(scope);
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          throw new Error(`${harness.name}: ${messageOf(error)}`, { cause: error });
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

function resolveSinkSettings<R>(harness: SinkHarness<R>): ResolvedSinkSettings {
  const settings = harness.settings ?? {};
  if (settings === null || typeof settings !== 'object') {
    throw new ConfigurationError(
      'settings',
      settings,
      'expected an object of conformance settings',
    );
  }
  return {
    records: requirePositiveInteger('settings.records', settings.records ?? 20),
    deadLetters: requirePositiveInteger('settings.deadLetters', settings.deadLetters ?? 2000),
    visibilityTimeout: requirePositiveInteger(
      'settings.visibilityTimeout',
      settings.visibilityTimeout ?? 10_000,
    ),
    exclude: settings.exclude ?? {},
  };
}

function checkHarness<R>(harness: SinkHarness<R>): void {
  assert.ok(harness !== null && typeof harness === 'object', 'a sink harness must be an object');
  assert.equal(typeof harness.name, 'string', 'a sink harness needs a name');
  for (const method of ['createSink', 'record', 'idOf', 'versionOf', 'readVisible'] as const) {
    assert.equal(
      typeof harness[method],
      'function',
      `the sink harness ${harness.name} needs ${method}()`,
    );
  }
  assert.ok(
    ['at-least-once', 'idempotent', 'transactional'].includes(harness.guarantee),
    `the sink harness ${harness.name} needs a guarantee: 'at-least-once', 'idempotent' or 'transactional'`,
  );
}
