import { Batch } from '../batch/batch.js';
import type { InputBatch, InputSource } from './input-dstream.js';

/**
 * Batches taken from a queue that the program fills (Spark's queueStream): one queued item per
 * batch (`oneAtATime`), or everything queued at once; `defaultBatch` when the queue is empty.
 * Items may be added to the queue while the context runs.
 */
export class QueueInputSource<T> implements InputSource<T> {
  readonly kind = 'queue';

  constructor(
    private readonly queue: (readonly T[] | Batch<T>)[],
    private readonly oneAtATime: boolean,
    private readonly defaultBatch: readonly T[] | Batch<T> | undefined,
  ) {}

  computeBatch(): InputBatch<T> {
    const taken = this.oneAtATime
      ? this.queue.splice(0, 1)
      : this.queue.splice(0, this.queue.length);
    if (taken.length === 0) {
      return {
        batch: this.defaultBatch === undefined ? Batch.empty<T>() : toBatch(this.defaultBatch),
      };
    }
    const batches = taken.map(toBatch);
    return { batch: batches.length === 1 ? batches[0] : batches[0].union(...batches.slice(1)) };
  }
}

function toBatch<T>(item: readonly T[] | Batch<T>): Batch<T> {
  return item instanceof Batch ? item : Batch.of(item);
}
