import type { Batch } from '../batch/batch.js';
import type { DStreamComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';

/**
 * A stream computed from its parents' batches of the same time by a batch function: every
 * narrow and wide per-batch transformation (map, filter, reduceByKey, join, transform, …).
 * When a parent has no batch for a time, neither has this stream.
 */
export class TransformedComputation<T> implements DStreamComputation<T> {
  readonly slideDuration: number;

  constructor(
    readonly kind: string,
    readonly parents: readonly DStream<any>[],
    private readonly transform: (batches: Batch<any>[], time: number) => Batch<T>,
    readonly shape?: Readonly<Record<string, unknown>>,
  ) {
    this.slideDuration = parents[0].slideDuration;
  }

  async compute(time: number): Promise<Batch<T> | undefined> {
    const batches: Batch<any>[] = [];
    for (const parent of this.parents) {
      const batch = await parent.getOrCompute(time);
      if (batch === undefined) return undefined;
      batches.push(batch);
    }
    return this.transform(batches, time);
  }
}
