import { Batch } from '../batch/batch.js';
import { formatDuration, isMultipleOf } from '../util/duration.js';
import { IllegalArgumentError } from './illegal-argument-error.js';
import type { DStreamComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';

/**
 * Checks Spark's rule for windows: window and slide must be positive multiples of the parent's
 * slide duration.
 */
export function validateWindow(
  parent: DStream<unknown>,
  windowDuration: number,
  slideDuration: number,
): void {
  const parentSlide = parent.slideDuration;
  if (!isMultipleOf(windowDuration, parentSlide)) {
    throw new IllegalArgumentError(
      `The window duration of a windowed stream (${formatDuration(windowDuration)}) must be a multiple of the slide duration of the parent stream (${formatDuration(parentSlide)})`,
    );
  }
  if (!isMultipleOf(slideDuration, parentSlide)) {
    throw new IllegalArgumentError(
      `The slide duration of a windowed stream (${formatDuration(slideDuration)}) must be a multiple of the slide duration of the parent stream (${formatDuration(parentSlide)})`,
    );
  }
}

/**
 * Every batch is the union of the parent's batches in the window `(time - windowDuration, time]`.
 * The first windows after start are partial: they hold the batches there are.
 */
export class WindowedComputation<T> implements DStreamComputation<T> {
  readonly kind = 'window';
  readonly parents: readonly DStream<T>[];
  readonly parentRememberExtra: number;
  readonly shape: Readonly<Record<string, unknown>>;

  constructor(
    private readonly parent: DStream<T>,
    readonly windowDuration: number,
    readonly slideDuration: number,
  ) {
    validateWindow(parent, windowDuration, slideDuration);
    this.parents = [parent];
    this.parentRememberExtra = windowDuration;
    this.shape = { windowDuration, slideDuration };
  }

  async compute(time: number): Promise<Batch<T> | undefined> {
    const batches = await this.parent.slice(
      time - this.windowDuration + this.parent.slideDuration,
      time,
    );
    if (batches.length === 0) return Batch.empty<T>();
    return batches.length === 1 ? batches[0] : batches[0].union(...batches.slice(1));
  }
}
