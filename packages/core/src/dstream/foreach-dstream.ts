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
   * The job for `time`, or `undefined` when the parent has no batch then. The parent's batch is
   * computed (lazily, for narrow operations) now, in time order; the job materializes it.
   */
  async generateJob(time: number, outputOperationId: number): Promise<Job | undefined> {
    const batch = await this.parent.getOrCompute(time);
    if (batch === undefined) return undefined;
    const fn = this.fn;
    return { time, outputOperationId, name: this.name, run: async () => fn(batch, time) };
  }
}

/** Whether a computation is an output operation. */
export function isOutputComputation(computation: DStreamComputation<unknown>): computation is ForEachComputation<unknown> {
  return computation instanceof ForEachComputation;
}
