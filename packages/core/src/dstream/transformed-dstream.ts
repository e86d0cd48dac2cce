import { Batch } from '../batch/batch.js';
import type { StreamingContext } from '../streaming-context.js';
import { formatDuration } from '../util/duration.js';
import { ConfigurationError, DStreamError } from '../util/errors.js';
import { requireFunction } from '../util/validation.js';
import type { DStreamComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';
import { IllegalArgumentError } from './illegal-argument-error.js';

/**
 * A stream computed from its parents' batches of the same time by a batch function: every
 * narrow and wide per-batch transformation (map, filter, reduceByKey, join, transform, …).
 *
 * When a parent has no batch for a time, a lenient stream (map, filter, reduceByKey, …) has no
 * batch either, while a strict one (transform, transformWith, the joins, cogroup, count,
 * repartition, `StreamingContext.transform`) fails the batch with a `PARENT_BATCH_MISSING`
 * error, as Spark's TransformedDStream does. A strict stream's function must return a
 * {@link Batch}: anything else fails the batch at once with a `TRANSFORM_RESULT_INVALID` error.
 */
export class TransformedComputation<T> implements DStreamComputation<T> {
  readonly slideDuration: number;

  constructor(
    readonly kind: string,
    readonly parents: readonly DStream<any>[],
    private readonly transform: (batches: Batch<any>[], time: number) => Batch<T>,
    readonly shape?: Readonly<Record<string, unknown>>,
    /** Whether a missing parent batch or a result that is not a batch fails the batch. */
    private readonly strict = false,
  ) {
    this.slideDuration = parents[0].slideDuration;
  }

  async compute(time: number, self: DStream<T>): Promise<Batch<T> | undefined> {
    const batches: Batch<any>[] = [];
    for (const parent of this.parents) {
      const batch = await parent.getOrCompute(time);
      if (batch === undefined) {
        if (!this.strict) return undefined;
        throw new DStreamError(
          'PARENT_BATCH_MISSING',
          `Stream ${self.describe()} cannot compute its batch at time ${time}: its parent ${parent.describe()} has no batch for that time`,
        );
      }
      batches.push(batch);
    }
    const result = this.transform(batches, time);
    if (this.strict && !(result instanceof Batch)) {
      throw new DStreamError(
        'TRANSFORM_RESULT_INVALID',
        `The function of ${self.describe()} returned ${describeValue(result)} for the batch at time ${time}; it must return a Batch (Batch.empty() for no records)`,
      );
    }
    return result;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}

/** The batches of a list of streams, element by element: `Batch<A>` for a `DStream<A>`. */
export type BatchesOf<S extends readonly DStream<any>[]> = {
  [I in keyof S]: S[I] extends DStream<infer T> ? Batch<T> : never;
};

/**
 * A stream whose batch at each time is `fn` of the batches of `streams` at that time: the
 * engine of `StreamingContext.transform`. The streams must belong to `context` and share their
 * slide duration.
 *
 * @internal
 */
export function transformStreams<S extends readonly DStream<any>[], R>(
  context: StreamingContext,
  streams: readonly [...S],
  fn: (batches: BatchesOf<S>, time: number) => Batch<R>,
): DStream<R> {
  if (!Array.isArray(streams) || streams.length === 0) {
    throw new ConfigurationError('streams', streams, 'expected a non-empty array of streams');
  }
  requireFunction('transform function', fn);
  for (const stream of streams) {
    if (stream?.context !== context) {
      throw new IllegalArgumentError(
        'transform: every stream must belong to this StreamingContext',
      );
    }
  }
  const slide = streams[0].slideDuration;
  if (streams.some((stream) => stream.slideDuration !== slide)) {
    throw new IllegalArgumentError(
      `transform: all streams must have the same slide duration; got ${streams.map((stream) => formatDuration(stream.slideDuration)).join(', ')}`,
    );
  }
  return streams[0].derive(
    new TransformedComputation<R>(
      'transform',
      streams,
      (batches, time) => fn(batches as unknown as BatchesOf<S>, time),
      { parents: streams.length },
      true,
    ),
  );
}
