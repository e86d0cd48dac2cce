import type { Batch } from '../batch/batch.js';
import type { Duration } from '../util/duration.js';
import type { DStream } from './dstream.js';

/**
 * What makes one kind of DStream: its parents, its slide, and how it computes its batch for a
 * batch time. A {@link DStream} holds one computation; each kind lives in a file of its own.
 */
export interface DStreamComputation<T> {
  /** The kind's name, as the graph fingerprint and the UI show it: `map`, `window`, `queue`. */
  readonly kind: string;
  /** The streams this one reads. */
  readonly parents: readonly DStream<any>[];
  /** The interval between two batches of this stream. */
  readonly slideDuration: Duration;
  /** Shape parameters that must match on recovery (window and slide durations, partitions). */
  readonly shape?: Readonly<Record<string, unknown>>;
  /** How much history the parents must keep beyond this stream's own remember duration. */
  readonly parentRememberExtra?: Duration;
  /** Whether this kind keeps state across batches and so needs a checkpoint directory. */
  readonly requiresCheckpoint?: boolean;
  /**
   * The batch for `time` (a valid batch time of this stream), or `undefined` when there is none.
   * Called at most once per time; results are kept by {@link DStream.getOrCompute}.
   */
  compute(time: number, self: DStream<T>): Promise<Batch<T> | undefined> | Batch<T> | undefined;
  /** Checks the computation against its context when the context starts. */
  validate?(self: DStream<T>): void;
}

/**
 * A computation whose state outlives batches (updateStateByKey, mapWithState, inverse-reduce
 * windows): it can hand out its state for a checkpoint and take it back on recovery.
 */
export interface StatefulComputation<T> extends DStreamComputation<T> {
  snapshotState(): unknown;
  restoreState(snapshot: unknown): void;
}
