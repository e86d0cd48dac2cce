import { Batch } from '../batch/batch.js';
import { formatDuration } from '../util/duration.js';
import { DStreamError } from '../util/errors.js';
import { partitionOf } from '../util/hashing.js';
import { KeyMap } from '../util/key-map.js';
import { requireFunction, requirePositiveInteger } from '../util/validation.js';
import type { StatefulComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';
import {
  readKeyedSnapshot,
  keyedPairs,
  stateUnavailableError,
  type KeyedStateSnapshot,
} from './state-dstream.js';
import { validateWindow } from './windowed-dstream.js';

type Partitions<T> = readonly (readonly T[])[];

/**
 * Spark's incremental `reduceByKeyAndWindow` (ReducedWindowedDStream): each window's value per
 * key is computed from the previous window's, adding the parent's batches that entered the
 * window with `reduce` and taking out the ones that left it with `inverse`.
 *
 * For the batch at `t`, the current window is the parent's batches in `(t - window, t]` and the
 * previous window those in `(t - slide - window, t - slide]`; the previous window's value is this
 * stream's own batch of `t - slide` (empty before the first). Per key:
 *
 * - without a previous value: the reduction of its values that entered (there must be some);
 * - otherwise the previous value, then `inverse(previous, reduce(left))` if values left the
 *   window, then `reduce(·, reduce(entered))` if values entered it;
 *
 * and `filter`, when given, then decides which pairs the window keeps. Without a filter, a key
 * whose values all left the window stays with the value `inverse` leaves (such as a count of
 * 0); filter those out to get what `window(w, s).reduceByKey(fn)` gives.
 *
 * The parent is the reduced stream (`reduceByKey` of each batch), so each of its batches holds
 * one value per key. Each batch is computed eagerly, inside `compute`.
 */
export class ReducedWindowedComputation<K, V> implements StatefulComputation<[K, V]> {
  /** The kind's name. */
  readonly kind = 'reduceByKeyAndWindow';
  /** The previous window's value is state, so a checkpoint directory is required. */
  readonly requiresCheckpoint = true;
  /** The reduced parent stream. */
  readonly parents: readonly DStream<[K, V]>[];
  /** The parent's batches of the current and the previous window must be kept. */
  readonly parentRememberExtra: number;
  /** Window, slide and partitions. */
  readonly shape: Readonly<Record<string, unknown>>;

  /** The last computed window (or the restored one), in this stream's partitioning. */
  private last: { readonly time: number; readonly partitions: Partitions<[K, V]> } | undefined;
  /**
   * The parent's reduced batches of the last window and slide, by time: checkpointed with the
   * window, so that after a recovery the batches leaving the window can still be taken out.
   */
  private history = new Map<number, [K, V][]>();
  /** After a recovery: parent batches up to this time come from {@link history}. */
  private restoredUpTo: number | undefined;

  constructor(
    private readonly reducedParent: DStream<[K, V]>,
    private readonly reduce: (a: V, b: V) => V,
    private readonly inverse: (a: V, b: V) => V,
    /** The length of each window. */
    readonly windowDuration: number,
    /** The interval between two windows. */
    readonly slideDuration: number,
    private readonly numPartitions: number,
    private readonly filter?: (pair: [K, V]) => boolean,
  ) {
    validateWindow(reducedParent, windowDuration, slideDuration);
    requireFunction('reduceByKeyAndWindow reduce function', reduce);
    requireFunction('reduceByKeyAndWindow inverse function', inverse);
    requirePositiveInteger('numPartitions', numPartitions);
    if (filter !== undefined) requireFunction('reduceByKeyAndWindow filter function', filter);
    this.parents = [reducedParent];
    this.parentRememberExtra = windowDuration + slideDuration;
    this.shape = { windowDuration, slideDuration, numPartitions };
  }

  /** The window ending at `time`, from the previous window and the batches that entered and left. */
  async compute(time: number, self: DStream<[K, V]>): Promise<Batch<[K, V]>> {
    const parentSlide = this.reducedParent.slideDuration;
    const currentBegin = time - this.windowDuration + parentSlide;
    const previousBegin = currentBegin - this.slideDuration;
    const previousEnd = time - this.slideDuration;
    // Spark's bounds; when the slide is longer than the window the two windows do not overlap,
    // and the bounds are clamped so that the batches in neither window are neither taken out
    // nor added.
    const leftBatches = await this.parentBatches(
      previousBegin,
      Math.min(currentBegin - parentSlide, previousEnd),
    );
    const enteredBatches = await this.parentBatches(
      Math.max(previousEnd + parentSlide, currentBegin),
      time,
    );
    for (const historyTime of this.history.keys()) {
      if (historyTime <= time - this.windowDuration - this.slideDuration)
        this.history.delete(historyTime);
    }
    const previous = await this.previousWindow(previousEnd, self);

    const reduce = this.reduce;
    const inverse = this.inverse;
    const left = reduceBatches(leftBatches, reduce);
    const entered = reduceBatches(enteredBatches, reduce);

    // Start from the previous window, take out what left, add what entered.
    const window = new KeyMap<K, V>();
    if (previous !== undefined) {
      for (let p = 0; p < previous.length; p++) {
        const pairs = previous[p];
        for (let i = 0; i < pairs.length; i++) window.set(pairs[i][0], pairs[i][1]);
      }
    }
    left.forEach((value, key) => {
      if (window.has(key)) {
        window.set(key, inverse(window.get(key) as V, value));
      } else if (!entered.has(key)) {
        throw new DStreamError(
          'INCONSISTENT_WINDOW_STATE',
          `reduceByKeyAndWindow (window ${formatDuration(this.windowDuration)}, slide ${formatDuration(this.slideDuration)}) at time ${time}: ` +
            `key ${describeKey(key)} has values leaving the window but neither a value in the previous window nor new values. ` +
            'This happens when the filter drops a key whose window value is not empty (for counts: not 0); the filter may only drop keys whose values have all left the window.',
        );
      }
    });
    entered.forEach((value, key) => {
      // Only keys of the previous window are in the map yet.
      if (window.has(key)) window.set(key, reduce(window.get(key) as V, value));
      else window.set(key, value);
    });

    const numPartitions = this.numPartitions;
    const filter = this.filter;
    const output: [K, V][][] = Array.from({ length: numPartitions }, () => []);
    window.forEach((value, key) => {
      const pair: [K, V] = [key, value];
      if (filter === undefined || filter(pair)) output[partitionOf(key, numPartitions)].push(pair);
    });

    if (this.last === undefined || time > this.last.time) this.last = { time, partitions: output };
    return Batch.fromPartitions(output);
  }

  /**
   * The last computed window as plain data, with the parent's reduced batches it may still have
   * to take out; `undefined` before the first.
   */
  snapshotState(): (KeyedStateSnapshot<K, V> & { history: [number, [K, V][]][] }) | undefined {
    const last = this.last;
    if (last === undefined) return undefined;
    const pairs = keyedPairs(last.partitions);
    const history = [...this.history].filter(([historyTime]) => historyTime <= last.time);
    return { time: last.time, pairs, history };
  }

  /** Restores what {@link snapshotState} returned; the next window is computed from it. */
  restoreState(snapshot: unknown): void {
    if (snapshot === undefined || snapshot === null) {
      this.last = undefined;
      return;
    }
    const { time, partitions } = readKeyedSnapshot<K, V>(snapshot, this.kind, this.numPartitions);
    this.last = { time, partitions };
    const history = (snapshot as { history?: unknown }).history;
    this.history = new Map(Array.isArray(history) ? (history as [number, [K, V][]][]) : []);
    this.restoredUpTo = time;
  }

  /** The parent's batches in `[from, to]`, from the restored history where it covers them. */
  private async parentBatches(from: number, to: number): Promise<Batch<[K, V]>[]> {
    const parent = this.reducedParent;
    const zero = parent.zeroTime ?? 0;
    const slide = parent.slideDuration;
    const batches: Batch<[K, V]>[] = [];
    for (let time = Math.max(from, zero + slide); time <= to; time += slide) {
      const remembered = this.history.get(time);
      if (this.restoredUpTo !== undefined && time <= this.restoredUpTo) {
        if (remembered !== undefined) batches.push(Batch.fromPartitions([remembered]));
        continue;
      }
      const batch = await parent.getOrCompute(time);
      if (batch === undefined) continue;
      batches.push(batch);
      if (remembered === undefined) this.history.set(time, batch.collect());
    }
    return batches;
  }

  private async previousWindow(
    previousTime: number,
    self: DStream<[K, V]>,
  ): Promise<Partitions<[K, V]> | undefined> {
    const last = this.last;
    if (last !== undefined && last.time === previousTime) return last.partitions;
    try {
      return (await self.getOrCompute(previousTime))?.partitions;
    } catch (error) {
      throw stateUnavailableError(this.kind, previousTime, error);
    }
  }
}

/** The values of each key over several batches, combined with `reduce` in batch order. */
function reduceBatches<K, V>(
  batches: readonly Batch<[K, V]>[],
  reduce: (a: V, b: V) => V,
): KeyMap<K, V> {
  const reduced = new KeyMap<K, V>();
  for (const batch of batches) {
    const partitions = batch.partitions;
    for (let p = 0; p < partitions.length; p++) {
      const pairs = partitions[p];
      for (let i = 0; i < pairs.length; i++) {
        const key = pairs[i][0];
        const existing = reduced.get(key);
        if (existing !== undefined || reduced.has(key)) {
          reduced.set(key, reduce(existing as V, pairs[i][1]));
        } else {
          reduced.set(key, pairs[i][1]);
        }
      }
    }
  }
  return reduced;
}

function describeKey(key: unknown): string {
  try {
    return typeof key === 'string' ? JSON.stringify(key) : (JSON.stringify(key) ?? String(key));
  } catch {
    return String(key);
  }
}
