import { Batch } from '../batch/batch.js';
import type { Duration } from '../util/duration.js';
import { ConfigurationError } from '../util/errors.js';
import { requireFunction, requirePositiveInteger } from '../util/validation.js';
import type { State } from './state.js';

/**
 * The function of a mapWithState stream. It is called once for every record of every batch,
 * with the record's key and value, the key's {@link State} and the batch time, and once more,
 * with `value` `undefined` and `state.isTimingOut()` true, for a key idle longer than the
 * spec's timeout. What it returns is emitted into the mapped stream, except `undefined`, which
 * emits nothing.
 */
export type MappingFunction<K, V, S, M> = (
  key: K,
  value: V | undefined,
  state: State<S>,
  time: number,
) => M;

/**
 * Everything a `mapWithState` operation needs (Spark's StateSpec): the mapping function and,
 * optionally, the initial state, the number of partitions and the idle timeout.
 *
 * ```ts
 * const spec = StateSpec.function((word: string, one: number | undefined, state: State<number>) => {
 *   const sum = (one ?? 0) + (state.getOption() ?? 0);
 *   if (!state.isTimingOut()) state.update(sum);
 *   return [word, sum] as const;
 * }).timeout(minutes(30));
 * const counts = pairs.mapWithState(spec);
 * ```
 *
 * The setters return the spec itself, so calls chain; a stream reads the spec when
 * `mapWithState` is called.
 *
 * @typeParam K - the key type.
 * @typeParam V - the value type.
 * @typeParam S - the state type.
 * @typeParam M - what the mapping function returns (`undefined` emits nothing).
 */
export class StateSpec<K, V, S, M> {
  private initialStateValue: readonly (readonly [K, S])[] | Batch<readonly [K, S]> | undefined;
  private numPartitionsValue: number | undefined;
  private timeoutValue: Duration | undefined;

  private constructor(
    /** The mapping function. */
    readonly mappingFunction: MappingFunction<K, V, S, M>,
  ) {}

  /**
   * A spec with the given mapping function. It is called with the key, the value (`undefined`
   * only in the timeout call), the key's state and the batch time; returning `undefined` emits
   * nothing.
   */
  static function<K, V, S, M>(mappingFunction: MappingFunction<K, V, S, M>): StateSpec<K, V, S, M> {
    requireFunction('StateSpec mapping function', mappingFunction);
    return new StateSpec<K, V, S, M>(mappingFunction);
  }

  /**
   * The state of keys before the first batch, as `[key, state]` pairs (an iterable is read at
   * once). When a key occurs more than once, its first pair wins.
   */
  initialState(pairs: Iterable<readonly [K, S]> | Batch<readonly [K, S]>): this {
    if (pairs instanceof Batch) {
      this.initialStateValue = pairs;
    } else if (isIterable(pairs)) {
      this.initialStateValue = Array.from(pairs);
    } else {
      throw new ConfigurationError(
        'StateSpec initialState',
        pairs,
        'expected an iterable of [key, state] pairs or a Batch',
      );
    }
    return this;
  }

  /** The number of partitions of the state and of the mapped stream (default: the context's parallelism). */
  numPartitions(numPartitions: number): this {
    this.numPartitionsValue = requirePositiveInteger('StateSpec numPartitions', numPartitions);
    return this;
  }

  /**
   * Removes keys that received no record for longer than `duration` milliseconds: after the
   * batch in which that happens, the mapping function is called once more for the key with
   * `value` `undefined` and `state.isTimingOut()` true, and the key is removed.
   */
  timeout(duration: Duration): this {
    this.timeoutValue = requirePositiveInteger('StateSpec timeout', duration);
    return this;
  }

  /** The initial state set with {@link StateSpec.initialState}, if any. */
  getInitialState(): readonly (readonly [K, S])[] | Batch<readonly [K, S]> | undefined {
    return this.initialStateValue;
  }

  /** The number of partitions set with {@link StateSpec.numPartitions}, if any. */
  getNumPartitions(): number | undefined {
    return this.numPartitionsValue;
  }

  /** The idle timeout in milliseconds set with {@link StateSpec.timeout}, if any. */
  getTimeout(): Duration | undefined {
    return this.timeoutValue;
  }
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function'
  );
}
