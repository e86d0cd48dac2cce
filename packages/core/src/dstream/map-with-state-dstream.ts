import { Batch } from '../batch/batch.js';
import { DStreamError } from '../util/errors.js';
import { partitionOf } from '../util/hashing.js';
import { KeyMap } from '../util/key-map.js';
import { requirePositiveInteger } from '../util/validation.js';
import type { DStreamComputation, StatefulComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';
import { stateUnavailableError } from './state-dstream.js';
import { StateHandle } from './state.js';
import type { MappingFunction, StateSpec } from './state-spec.js';

/**
 * The stream `mapWithState` returns: the records the mapping function emitted, batch by batch
 * (never `undefined`, which emits nothing), plus
 * {@link MapWithStateDStream.stateSnapshots | stateSnapshots()}, the stream of every key's
 * state after each batch.
 */
export type MapWithStateDStream<K, S, M> = DStream<Exclude<M, undefined>> & {
  /**
   * Every `[key, state]` pair after each batch, hash-partitioned by key. Every call returns the
   * same stream; like any transformation, it must be called before the context starts.
   */
  stateSnapshots(): DStream<[K, S]>;
};

/** What {@link MapWithStateComputation.snapshotState} returns: the state after batch `time`. */
export interface MapWithStateSnapshot<K, S> {
  /** The batch time the state belongs to. */
  readonly time: number;
  /** Every key with its state and the batch time of the last record it received. */
  readonly entries: [key: K, state: S, updatedAt: number][];
}

/** One key's state, updated in place. */
interface StateEntry<S> {
  state: S;
  /** The batch time of the last record of the key (or of its initial state). */
  updatedAt: number;
}

/**
 * Creates the stream of Spark's `mapWithState` for `parent` as described by `spec`;
 * `defaultParallelism` is the number of partitions when the spec sets none.
 */
export function createMapWithStateStream<K, V, S, M>(
  parent: DStream<readonly [K, V]>,
  spec: StateSpec<K, V, S, M>,
  defaultParallelism: number,
): MapWithStateDStream<K, S, M> {
  const computation = new MapWithStateComputation<K, V, S, M>(
    parent,
    spec,
    spec.getNumPartitions() ?? defaultParallelism,
  );
  const stream = parent.derive(computation);
  let snapshots: DStream<[K, S]> | undefined;
  return Object.assign(stream, {
    stateSnapshots(): DStream<[K, S]> {
      if (snapshots === undefined) {
        const snapshotsComputation = new StateSnapshotsComputation<K, S>(stream, computation);
        snapshots = stream.derive(snapshotsComputation);
        computation.enableSnapshots(snapshots);
      }
      return snapshots;
    },
  });
}

/**
 * Spark's `mapWithState`: a state per key, kept in one mutable store that advances batch by
 * batch in time order. For each record of a batch, in order, the mapping function is called
 * with the key, the value, the key's {@link State} handle and the batch time; whatever it returns
 * except `undefined` is emitted, into the partition of the record's key. With a timeout, every
 * key that has received no record for longer than the timeout (its last record came before
 * `time - timeout`) is then called once more with `value` `undefined` and `state.isTimingOut()`
 * true, its result emitted, and the key removed.
 *
 * A key's timeout restarts with every record it receives, whether or not the function updates
 * its state. The initial state counts as received at the first batch.
 *
 * If a batch fails (the mapping function throws, or the parent's batch cannot be computed), the
 * store holds part of that batch's updates; every later batch then fails with
 * `STATE_UNAVAILABLE` until the application restarts from its checkpoint.
 */
export class MapWithStateComputation<K, V, S, M> implements StatefulComputation<
  Exclude<M, undefined>
> {
  /** The kind's name. */
  readonly kind = 'mapWithState';
  /** State outlives batches, so a checkpoint directory is required. */
  readonly requiresCheckpoint = true;
  /** The stream of `[key, value]` pairs. */
  readonly parents: readonly DStream<readonly [K, V]>[];
  /** The parent's slide. */
  readonly slideDuration: number;
  /** Partitions and timeout. */
  readonly shape: Readonly<Record<string, unknown>>;

  private readonly mappingFunction: MappingFunction<K, V, S, M>;
  private readonly timeout: number | undefined;
  private readonly initialState: readonly (readonly [K, S])[] | Batch<readonly [K, S]> | undefined;
  private readonly store = new KeyMap<K, StateEntry<S>>();
  private readonly handle = new StateHandle<S>();
  /** The batch time the store is at; `undefined` before the first batch. */
  private lastTime: number | undefined;
  private failure: { readonly time: number; readonly error: unknown } | undefined;

  /** The stream of state snapshots, once asked for. */
  private snapshotsStream: DStream<[K, S]> | undefined;
  /** The last batch time whose state a snapshot was taken of, straight from the store. */
  private snapshotTakenAt: number | undefined;
  /** Copies of the state at times the store has moved past before their snapshot was asked for. */
  private readonly pendingSnapshots = new Map<number, [K, S][][]>();

  constructor(
    private readonly parent: DStream<readonly [K, V]>,
    spec: StateSpec<K, V, S, M>,
    /** The number of partitions of the mapped records and the state snapshots. */
    readonly numPartitions: number,
  ) {
    requirePositiveInteger('numPartitions', numPartitions);
    this.parents = [parent];
    this.slideDuration = parent.slideDuration;
    this.mappingFunction = spec.mappingFunction;
    this.timeout = spec.getTimeout();
    this.initialState = spec.getInitialState();
    this.shape = { numPartitions, timeout: this.timeout ?? null };
  }

  /** The number of keys with a state. */
  get stateSize(): number {
    return this.store.size;
  }

  /** Makes the store keep copies of states a snapshot may still be asked for; called once. */
  enableSnapshots(snapshots: DStream<[K, S]>): void {
    this.snapshotsStream = snapshots;
  }

  /** Runs the mapping function over the batch of `time` and the keys that time out then. */
  async compute(
    time: number,
    self: DStream<Exclude<M, undefined>>,
  ): Promise<Batch<Exclude<M, undefined>>> {
    const previousTime = time - this.slideDuration;
    let batch: Batch<readonly [K, V]> | undefined;
    try {
      this.throwIfFailed(time);
      // The store must be at the previous batch time: compute that first if it is not.
      if (
        this.lastTime === undefined ? self.isTimeValid(previousTime) : this.lastTime < previousTime
      ) {
        await self.getOrCompute(previousTime);
      }
      batch = await this.parent.getOrCompute(time);
    } catch (error) {
      this.failure ??= { time, error };
      this.throwIfFailed(time);
      throw error;
    }
    this.throwIfFailed(time);
    if (
      this.lastTime === undefined ? self.isTimeValid(previousTime) : this.lastTime !== previousTime
    ) {
      throw new DStreamError(
        'STATE_OUT_OF_ORDER',
        `mapWithState cannot compute batch time ${time}: its state is at time ${this.lastTime ?? 'none'}, and a batch can only follow the batch ${this.slideDuration} ms before it`,
      );
    }
    try {
      return Batch.fromPartitions(this.process(time, batch));
    } catch (error) {
      this.failure = { time, error };
      throw error;
    } finally {
      this.handle.clear();
    }
  }

  /** The state after the last computed batch, as plain data; `undefined` before the first. */
  snapshotState(): MapWithStateSnapshot<K, S> | undefined {
    this.throwIfFailed();
    if (this.lastTime === undefined) return undefined;
    const entries: [K, S, number][] = [];
    this.store.forEach((entry, key) => {
      entries.push([key, entry.state, entry.updatedAt]);
    });
    return { time: this.lastTime, entries };
  }

  /** Restores what {@link snapshotState} returned; the next batch continues from it. */
  restoreState(snapshot: unknown): void {
    this.store.clear();
    this.pendingSnapshots.clear();
    this.failure = undefined;
    this.snapshotTakenAt = undefined;
    this.lastTime = undefined;
    if (snapshot === undefined || snapshot === null) return;
    const candidate = snapshot as { time?: unknown; entries?: unknown };
    if (
      typeof candidate !== 'object' ||
      typeof candidate.time !== 'number' ||
      !Array.isArray(candidate.entries) ||
      !candidate.entries.every(
        (entry) => Array.isArray(entry) && entry.length === 3 && typeof entry[2] === 'number',
      )
    ) {
      throw new DStreamError(
        'INVALID_STATE_SNAPSHOT',
        'Cannot restore the state of a mapWithState stream: expected { time: number, entries: [key, state, updatedAt][] }',
      );
    }
    for (const [key, state, updatedAt] of candidate.entries as [K, S, number][]) {
      this.store.set(key, { state, updatedAt });
    }
    this.lastTime = candidate.time;
  }

  /**
   * Every `[key, state]` pair after batch `time`, hash-partitioned by key: copied from the store
   * when it is at `time`, or taken from the copy made before the store moved past it.
   */
  snapshotPartitions(time: number): [K, S][][] {
    this.throwIfFailed(time);
    if (this.lastTime === time) {
      this.snapshotTakenAt = time;
      return this.copyState();
    }
    const pending = this.pendingSnapshots.get(time);
    if (pending === undefined) {
      throw new DStreamError(
        'STATE_UNAVAILABLE',
        `The state snapshot of batch time ${time} is no longer available: the mapWithState state is at time ${this.lastTime ?? 'none'}`,
      );
    }
    this.pendingSnapshots.delete(time);
    return pending;
  }

  private process(
    time: number,
    batch: Batch<readonly [K, V]> | undefined,
  ): Exclude<M, undefined>[][] {
    this.keepSnapshotBeforeAdvancing(time);
    const store = this.store;
    if (this.lastTime === undefined) this.loadInitialState(time);
    // From here on the store is past the previous time, even if this batch fails.
    this.lastTime = time;

    const numPartitions = this.numPartitions;
    const output: Exclude<M, undefined>[][] = Array.from({ length: numPartitions }, () => []);
    const fn = this.mappingFunction;
    const handle = this.handle;

    if (batch !== undefined) {
      const partitions = batch.partitions;
      for (let p = 0; p < partitions.length; p++) {
        const records = partitions[p];
        for (let i = 0; i < records.length; i++) {
          const record = records[i];
          const key = record[0];
          const entry = store.get(key);
          if (entry === undefined) handle.wrap(undefined, false);
          else handle.wrap(entry.state, true);
          const mapped = fn(key, record[1], handle, time);
          if (handle.removed) {
            if (entry !== undefined) store.delete(key);
          } else if (entry !== undefined) {
            if (handle.updated) entry.state = handle.getOption() as S;
            entry.updatedAt = time;
          } else if (handle.updated) {
            store.set(key, { state: handle.getOption() as S, updatedAt: time });
          }
          if (mapped !== undefined) {
            output[partitionOf(key, numPartitions)].push(mapped as Exclude<M, undefined>);
          }
        }
      }
    }

    if (this.timeout !== undefined) {
      const threshold = time - this.timeout;
      store.forEach((entry, key) => {
        if (entry.updatedAt >= threshold) return;
        handle.wrapTimingOut(entry.state);
        const mapped = fn(key, undefined, handle, time);
        // Deleting the entry being visited is safe while iterating a Map.
        store.delete(key);
        if (mapped !== undefined) {
          output[partitionOf(key, numPartitions)].push(mapped as Exclude<M, undefined>);
        }
      });
    }
    return output;
  }

  /**
   * Before the store moves past its current time, keeps a copy of its state if the snapshot
   * stream may still ask for it, and forgets copies no one can ask for any more.
   */
  private keepSnapshotBeforeAdvancing(time: number): void {
    const snapshots = this.snapshotsStream;
    if (snapshots === undefined) return;
    const keep = Math.max(snapshots.rememberDuration ?? 0, this.slideDuration) + this.slideDuration;
    for (const pendingTime of this.pendingSnapshots.keys()) {
      if (pendingTime <= time - keep) this.pendingSnapshots.delete(pendingTime);
    }
    const current = this.lastTime;
    if (current !== undefined && this.snapshotTakenAt !== current && current > time - keep) {
      this.pendingSnapshots.set(current, this.copyState());
    }
  }

  private copyState(): [K, S][][] {
    const numPartitions = this.numPartitions;
    const output: [K, S][][] = Array.from({ length: numPartitions }, () => []);
    this.store.forEach((entry, key) => {
      output[partitionOf(key, numPartitions)].push([key, entry.state]);
    });
    return output;
  }

  /** Puts the initial state into the store, as received at `time`; the first pair of a key wins. */
  private loadInitialState(time: number): void {
    const initial = this.initialState;
    if (initial === undefined) return;
    const pairs = initial instanceof Batch ? initial.collect() : initial;
    for (let i = 0; i < pairs.length; i++) {
      const [key, state] = pairs[i];
      if (!this.store.has(key)) this.store.set(key, { state, updatedAt: time });
    }
  }

  /** Throws if an earlier batch failed (any batch at all when `time` is not given). */
  private throwIfFailed(time?: number): void {
    const failure = this.failure;
    if (failure === undefined || failure.time === time) return;
    throw stateUnavailableError(this.kind, failure.time, failure.error);
  }
}

/**
 * The stream of `stateSnapshots()`: after each batch of the mapWithState stream, every key's
 * `[key, state]` pair, copied eagerly and hash-partitioned by key.
 */
export class StateSnapshotsComputation<K, S> implements DStreamComputation<[K, S]> {
  /** The kind's name. */
  readonly kind = 'stateSnapshots';
  /** The mapWithState stream. */
  readonly parents: readonly DStream<unknown>[];
  /** The mapWithState stream's slide. */
  readonly slideDuration: number;

  constructor(
    private readonly mapped: DStream<unknown>,
    private readonly state: Pick<
      MapWithStateComputation<K, unknown, S, unknown>,
      'snapshotPartitions'
    >,
  ) {
    this.parents = [mapped];
    this.slideDuration = mapped.slideDuration;
  }

  /** Every key's state after the mapWithState batch of `time`. */
  async compute(time: number): Promise<Batch<[K, S]>> {
    await this.mapped.getOrCompute(time);
    return Batch.fromPartitions(this.state.snapshotPartitions(time));
  }
}
