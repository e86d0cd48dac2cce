import { Batch } from '../batch/batch.js';
import { partitionUnder, type Partitioner } from '../batch/partitioner.js';
import { partitionOf } from '../util/hashing.js';
import { KeyMap } from '../util/key-map.js';
import { DStreamError } from '../util/errors.js';
import { requireFunction, requirePositiveInteger } from '../util/validation.js';
import type { StatefulComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';

/**
 * The function of `updateStateByKey`: called every batch for every key that has a state or new
 * values, with the key's new values of the batch (an empty array when it has none; treat the
 * array as read-only), its previous state (`undefined` for a key without one), the key and the
 * batch time. It returns the key's new state, or `undefined` to remove the key.
 */
export type StateUpdateFunction<K, V, S> = (
  values: V[],
  state: S | undefined,
  key: K,
  time: number,
) => S | undefined;

/**
 * One key of a partition, as a {@link PartitionStateUpdateFunction} sees it: the key, its new
 * values of the batch (empty when it has none; read-only) and its previous state (`undefined`
 * for a new key).
 */
export type KeyStateEntry<K, V, S> = readonly [key: K, values: V[], state: S | undefined];

/**
 * The function of `updateStateByKey` with `perPartition: true` (Spark's iterator form): called
 * once per partition of every batch with every key of that partition that has a state or new
 * values; it returns the partition's new `[key, state]` pairs. Keys it leaves out are removed.
 */
export type PartitionStateUpdateFunction<K, V, S> = (
  entries: readonly KeyStateEntry<K, V, S>[],
  time: number,
  partitionIndex: number,
) => Iterable<readonly [K, S]>;

/** How the state is updated: key by key, or a whole partition at once. */
export type StateUpdater<K, V, S> =
  | { readonly perPartition: false; readonly fn: StateUpdateFunction<K, V, S> }
  | { readonly perPartition: true; readonly fn: PartitionStateUpdateFunction<K, V, S> };

/** What {@link StateComputation.snapshotState} returns: every key's state after batch `time`. */
export interface KeyedStateSnapshot<K, S> {
  /** The batch time the state belongs to. */
  readonly time: number;
  /** Every `[key, state]` pair after that batch. */
  readonly pairs: [K, S][];
}

type Partitions<T> = readonly (readonly T[])[];

/** The values passed to the update function for a key with no new values. */
const NO_VALUES: never[] = Object.freeze([]) as unknown as never[];

/**
 * Spark's `updateStateByKey` (StateDStream): a state per key, carried from batch to batch.
 * Every batch, the update function runs for every key that has a state or new values; a key
 * whose function returns `undefined` is removed. The batch of time `t` holds every `[key,
 * state]` pair after batch `t`, hash-partitioned by key into `numPartitions` partitions.
 *
 * The previous state is this stream's own batch of `t - slide`; when there is none (the first
 * batch, or while the parent has produced no batch yet), it is the initial state. When the
 * parent has no batch at `t` but there is a previous state, the function runs with no new values
 * for every key, as in Spark. Each batch is computed eagerly, inside `compute`.
 */
export class StateComputation<K, V, S> implements StatefulComputation<[K, S]> {
  /** The kind's name. */
  readonly kind = 'updateStateByKey';
  /** State outlives batches, so a checkpoint directory is required. */
  readonly requiresCheckpoint = true;
  /** The stream of new `[key, value]` pairs. */
  readonly parents: readonly DStream<readonly [K, V]>[];
  /** The parent's slide. */
  readonly slideDuration: number;
  /** The number of partitions of the state. */
  readonly shape: Readonly<Record<string, unknown>>;

  private readonly initialState: readonly (readonly [K, S])[] | Batch<readonly [K, S]> | undefined;
  private normalizedInitialState: Partitions<readonly [K, S]> | undefined;
  /** The last computed state (or the restored one), in this stream's partitioning. */
  private last: { readonly time: number; readonly partitions: Partitions<[K, S]> } | undefined;
  /** Whether the last state's keys sit where this stream put them (not so after a restore). */
  private lastPlacedHere = true;
  private readonly numPartitions: number;

  constructor(
    private readonly parent: DStream<readonly [K, V]>,
    private readonly updater: StateUpdater<K, V, S>,
    /** Where keys go; `undefined` for keys hashed into `numPartitions`. */
    private readonly partitioner: Partitioner<K> | undefined,
    numPartitions: number,
    initialState?: Iterable<readonly [K, S]> | Batch<readonly [K, S]>,
    /**
     * Whether the state keeps the partitioning the update left it in from batch to batch
     * (Spark's `rememberPartitioner`); otherwise every key is placed by the partitioner again.
     */
    private readonly rememberPartitioner = true,
  ) {
    requireFunction('updateStateByKey update function', updater.fn);
    this.numPartitions = requirePositiveInteger('numPartitions', numPartitions);
    this.parents = [parent];
    this.slideDuration = parent.slideDuration;
    this.shape = updater.perPartition ? { numPartitions, perPartition: true } : { numPartitions };
    this.initialState =
      initialState === undefined || initialState instanceof Batch
        ? initialState
        : Array.from(initialState);
  }

  /** Every key's state after batch `time`, computed from the previous state and the parent's batch. */
  async compute(time: number, self: DStream<[K, S]>): Promise<Batch<[K, S]> | undefined> {
    const previous = await this.previousState(time, self);
    const batch = await this.parent.getOrCompute(time);
    if (previous === undefined && batch === undefined) return undefined;

    const grouped = new KeyMap<K, V[]>();
    if (batch !== undefined) {
      const partitions = batch.partitions;
      for (let p = 0; p < partitions.length; p++) {
        const records = partitions[p];
        for (let i = 0; i < records.length; i++) {
          const record = records[i];
          const values = grouped.get(record[0]);
          if (values === undefined) grouped.set(record[0], [record[1]]);
          else values.push(record[1]);
        }
      }
    }

    // Keys with a previous state, in the previous state's order. Our own previous batches are
    // already partitioned (unless the partitioning is not remembered), so a key stays put.
    const ownPartitioning =
      previous !== undefined &&
      this.rememberPartitioner &&
      (this.lastPlacedHere || this.last?.partitions !== previous);
    const previousPartitions = previous ?? this.initialStatePartitions();
    const output = this.updater.perPartition
      ? this.updatePartitions(this.updater.fn, previousPartitions, ownPartitioning, grouped, time)
      : this.updateKeys(this.updater.fn, previousPartitions, ownPartitioning, grouped, time);

    if (this.last === undefined || time > this.last.time) {
      this.last = { time, partitions: output };
      this.lastPlacedHere = true;
    }
    return Batch.fromPartitions(output);
  }

  private updateKeys(
    update: StateUpdateFunction<K, V, S>,
    previousPartitions: Partitions<readonly [K, S]>,
    ownPartitioning: boolean,
    grouped: KeyMap<K, V[]>,
    time: number,
  ): [K, S][][] {
    const output: [K, S][][] = Array.from({ length: this.numPartitions }, () => []);
    for (let p = 0; p < previousPartitions.length; p++) {
      const pairs = previousPartitions[p];
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        const key = pair[0];
        const values = grouped.get(key);
        if (values !== undefined) grouped.delete(key);
        const state = update(values ?? NO_VALUES, pair[1], key, time);
        if (state === undefined) continue;
        if (ownPartitioning) output[p].push(state === pair[1] ? (pair as [K, S]) : [key, state]);
        else output[this.partitionOfKey(key)].push([key, state]);
      }
    }
    // Keys that are new in this batch.
    grouped.forEach((values, key) => {
      const state = update(values, undefined, key, time);
      if (state !== undefined) output[this.partitionOfKey(key)].push([key, state]);
    });
    return output;
  }

  private updatePartitions(
    update: PartitionStateUpdateFunction<K, V, S>,
    previousPartitions: Partitions<readonly [K, S]>,
    ownPartitioning: boolean,
    grouped: KeyMap<K, V[]>,
    time: number,
  ): [K, S][][] {
    const entries: KeyStateEntry<K, V, S>[][] = Array.from(
      { length: this.numPartitions },
      () => [],
    );
    for (let p = 0; p < previousPartitions.length; p++) {
      const pairs = previousPartitions[p];
      for (let i = 0; i < pairs.length; i++) {
        const key = pairs[i][0];
        const values = grouped.get(key);
        if (values !== undefined) grouped.delete(key);
        const target = ownPartitioning ? p : this.partitionOfKey(key);
        entries[target].push([key, values ?? NO_VALUES, pairs[i][1]]);
      }
    }
    grouped.forEach((values, key) => {
      entries[this.partitionOfKey(key)].push([key, values, undefined]);
    });
    const output: [K, S][][] = new Array<[K, S][]>(this.numPartitions);
    for (let p = 0; p < entries.length; p++) {
      const result = update(entries[p], time, p);
      if (result === null || typeof result !== 'object' || !(Symbol.iterator in result)) {
        throw new DStreamError(
          'STATE_UPDATE_INVALID',
          `The partition update function of updateStateByKey returned ${String(result)} for partition ${p} at time ${time}; it must return an iterable of [key, state] pairs`,
        );
      }
      const pairs: [K, S][] = [];
      for (const pair of result) pairs.push(pair as [K, S]);
      output[p] = pairs;
    }
    return output;
  }

  private partitionOfKey(key: K): number {
    const partitioner = this.partitioner;
    return partitioner === undefined
      ? partitionOf(key, this.numPartitions)
      : partitionUnder(partitioner, key);
  }

  /** Every key's state after the last computed batch, as plain data; `undefined` before the first. */
  snapshotState(): KeyedStateSnapshot<K, S> | undefined {
    const last = this.last;
    if (last === undefined) return undefined;
    const pairs = keyedPairs(last.partitions);
    return { time: last.time, pairs };
  }

  /** Restores what {@link snapshotState} returned; the next batch continues from it. */
  restoreState(snapshot: unknown): void {
    if (snapshot === undefined || snapshot === null) {
      this.last = undefined;
      return;
    }
    this.last = readKeyedSnapshot<K, S>(snapshot, this.kind, this.numPartitions);
    // The snapshot is hash-partitioned: keys go back where the partitioner wants them next batch.
    this.lastPlacedHere = this.partitioner === undefined && !this.updater.perPartition;
  }

  private async previousState(
    time: number,
    self: DStream<[K, S]>,
  ): Promise<Partitions<[K, S]> | undefined> {
    const previousTime = time - this.slideDuration;
    const last = this.last;
    if (last !== undefined && last.time === previousTime) return last.partitions;
    try {
      return (await self.getOrCompute(previousTime))?.partitions;
    } catch (error) {
      throw stateUnavailableError(this.kind, previousTime, error);
    }
  }

  /** The initial state with one pair per key (the first one given wins). */
  private initialStatePartitions(): Partitions<readonly [K, S]> {
    if (this.normalizedInitialState !== undefined) return this.normalizedInitialState;
    const initial = this.initialState;
    if (initial === undefined) return [];
    const pairs = initial instanceof Batch ? initial.collect() : initial;
    const seen = new KeyMap<K, true>();
    const unique: (readonly [K, S])[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const key = pairs[i][0];
      if (seen.has(key)) continue;
      seen.set(key, true);
      unique.push(pairs[i]);
    }
    this.normalizedInitialState = [unique];
    return this.normalizedInitialState;
  }
}

/**
 * Reads a `{ time, pairs }` snapshot of a keyed state, failing with a clear error when it does
 * not have that form.
 *
 * @internal
 */
export function readKeyedSnapshot<K, S>(
  snapshot: unknown,
  kind: string,
  numPartitions: number,
): { time: number; partitions: [K, S][][] } {
  const candidate = snapshot as { time?: unknown; pairs?: unknown };
  if (
    typeof candidate !== 'object' ||
    typeof candidate.time !== 'number' ||
    !Array.isArray(candidate.pairs) ||
    !candidate.pairs.every((pair) => Array.isArray(pair) && pair.length === 2)
  ) {
    throw new DStreamError(
      'INVALID_STATE_SNAPSHOT',
      `Cannot restore the state of a ${kind} stream: expected { time: number, pairs: [key, value][] }`,
    );
  }
  const partitions: [K, S][][] = Array.from({ length: numPartitions }, () => []);
  for (const pair of candidate.pairs as (readonly [K, S])[]) {
    partitions[partitionOf(pair[0], numPartitions)].push([pair[0], pair[1]]);
  }
  return { time: candidate.time, partitions };
}

/**
 * The pairs of keyed partitions as one list, for a snapshot.
 *
 * @internal
 */
export function keyedPairs<K, S>(partitions: Partitions<[K, S]>): [K, S][] {
  const pairs: [K, S][] = [];
  for (const partition of partitions) {
    for (let i = 0; i < partition.length; i++) pairs.push(partition[i]);
  }
  return pairs;
}

/**
 * The error of every batch after a failed batch of a stream whose state carries from batch to
 * batch: the state after the failed batch is unknown. A cause that is already such an error is
 * returned as it is, so the error names the batch that failed first.
 *
 * @internal
 */
export function stateUnavailableError(
  kind: string,
  failedTime: number,
  cause: unknown,
): DStreamError {
  if (cause instanceof DStreamError && cause.code === 'STATE_UNAVAILABLE') return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DStreamError(
    'STATE_UNAVAILABLE',
    `The state of the ${kind} stream is unknown since its batch at time ${failedTime} failed (${reason}); later batches cannot be computed until the application restarts from its checkpoint`,
    { cause },
  );
}
