import type { Batch } from '../batch/batch.js';
import type { DStreamComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';

/** The function of an output operation: called with every batch and its time. */
export type BatchFunction<T> = (batch: Batch<T>, time: number) => void | Promise<void>;

/** A unit of work of one output operation for one batch time. */
export interface Job {
  readonly time: number;
  /** The output operation's position in definition order. */
  readonly outputOperationId: number;
  readonly name: string;
  run(): Promise<void>;
}

/**
 * An output operation: for every batch time, a job that runs the function on the parent's
 * batch. Output streams are what make the graph compute.
 */
export class ForEachComputation<T> implements DStreamComputation<never> {
  readonly kind = 'foreach';
  readonly parents: readonly DStream<T>[];
  readonly slideDuration: number;
  readonly shape: Readonly<Record<string, unknown>>;

  constructor(
    private readonly parent: DStream<T>,
    private readonly fn: BatchFunction<T>,
    readonly name: string,
  ) {
    this.parents = [parent];
    this.slideDuration = parent.slideDuration;
    this.shape = { name };
  }

  compute(): undefined {
    return undefined;
  }

  /**
   * The job for `time`, or `undefined` when `time` is not a batch time of the parent. The batch
   * is computed when the job runs: batches run one at a time in time order, so stateful streams
   * advance in order and the processing time of a batch includes all of its work.
   */
  generateJob(time: number, outputOperationId: number): Job | undefined {
    const parent = this.parent;
    if (!parent.isTimeValid(time)) return undefined;
    const fn = this.fn;
    return {
      time,
      outputOperationId,
      name: this.name,
      run: async () => {
        const batch = await parent.getOrCompute(time);
        if (batch !== undefined) await fn(batch, time);
      },
    };
  }
}

/** Whether a computation is an output operation. */
export function isOutputComputation(
  computation: DStreamComputation<unknown>,
): computation is ForEachComputation<unknown> {
  return computation instanceof ForEachComputation;
}
