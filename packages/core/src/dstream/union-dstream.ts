import type { Batch } from '../batch/batch.js';
import { DStreamError } from '../util/errors.js';
import { IllegalArgumentError } from './illegal-argument-error.js';
import type { DStreamComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';

/**
 * The records of several streams with the same slide, batch by batch. As in Spark, a parent
 * without a batch for a time fails the batch (`PARENT_BATCH_MISSING`) rather than giving a
 * partial union.
 */
export class UnionComputation<T> implements DStreamComputation<T> {
  readonly kind = 'union';
  readonly slideDuration: number;

  constructor(readonly parents: readonly DStream<T>[]) {
    if (parents.length === 0) throw new IllegalArgumentError('union needs at least one stream');
    this.slideDuration = parents[0].slideDuration;
    for (const parent of parents) {
      if (parent.context !== parents[0].context) {
        throw new IllegalArgumentError(
          'union: all streams must belong to the same StreamingContext',
        );
      }
      if (parent.slideDuration !== this.slideDuration) {
        throw new IllegalArgumentError(
          `union: all streams must have the same slide duration; got ${parents.map((p) => p.slideDuration).join(', ')} ms`,
        );
      }
    }
  }

  async compute(time: number, self: DStream<T>): Promise<Batch<T> | undefined> {
    const batches: Batch<T>[] = [];
    for (const parent of this.parents) {
      const batch = await parent.getOrCompute(time);
      if (batch === undefined) {
        throw new DStreamError(
          'PARENT_BATCH_MISSING',
          `Stream ${self.describe()} cannot unify its parents' batches at time ${time}: its parent ${parent.describe()} has no batch for that time`,
        );
      }
      batches.push(batch);
    }
    return batches.length === 1 ? batches[0] : batches[0].union(...batches.slice(1));
  }
}
