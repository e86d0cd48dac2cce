import { DStreamError } from '../util/errors.js';

/**
 * The state of one key, as the mapping function of `mapWithState` sees it (Spark's `State`).
 * It is valid only during the call it is passed to: do not keep it.
 *
 * - `exists()` / `get()` / `getOption()` read the key's state;
 * - `update(state)` sets it (and refreshes the key's timeout);
 * - `remove()` deletes it;
 * - `isTimingOut()` is true in the one last call made for a key that stayed idle longer than
 *   the spec's timeout; the key is removed after that call, and the state can then be neither
 *   updated nor removed.
 *
 * @typeParam S - the type of the state.
 */
export interface State<S> {
  /** Whether the key has a state. */
  exists(): boolean;
  /**
   * The key's state.
   * @throws {@link DStreamError} with code `STATE_NOT_SET` when the key has no state; test with
   * {@link State.exists} or use {@link State.getOption}.
   */
  get(): S;
  /** The key's state, or `undefined` when it has none. */
  getOption(): S | undefined;
  /**
   * Sets the key's state.
   * @throws {@link DStreamError} with code `STATE_TIMING_OUT` when the key is timing out,
   * `STATE_REMOVED` after {@link State.remove} in the same call, and `INVALID_STATE` for
   * `undefined` (call {@link State.remove} instead).
   */
  update(newState: S): void;
  /**
   * Removes the key's state.
   * @throws {@link DStreamError} with code `STATE_TIMING_OUT` when the key is timing out (it is
   * removed anyway) and `STATE_REMOVED` when it was already removed in the same call.
   */
  remove(): void;
  /** Whether this is the last call for a key that has been idle longer than the timeout. */
  isTimingOut(): boolean;
}

/**
 * The one {@link State} object a mapWithState computation passes to its mapping function: it is
 * reset for every record rather than allocated, so a batch allocates no state objects.
 *
 * @internal
 */
export class StateHandle<S> implements State<S> {
  private value: S | undefined = undefined;
  private defined = false;
  private timingOut = false;
  /** Whether `update` was called since the last reset. */
  updated = false;
  /** Whether `remove` was called since the last reset. */
  removed = false;

  /** Resets the handle for a record of a key whose state is `value` (when `defined`). */
  wrap(value: S | undefined, defined: boolean): void {
    this.value = value;
    this.defined = defined;
    this.timingOut = false;
    this.updated = false;
    this.removed = false;
  }

  /** Resets the handle for the last call of a key that timed out with state `value`. */
  wrapTimingOut(value: S): void {
    this.value = value;
    this.defined = true;
    this.timingOut = true;
    this.updated = false;
    this.removed = false;
  }

  /** Drops the reference to the last state, so the handle does not keep it alive. */
  clear(): void {
    this.value = undefined;
    this.defined = false;
  }

  /** {@inheritDoc State.exists} */
  exists(): boolean {
    return this.defined;
  }

  /** {@inheritDoc State.get} */
  get(): S {
    if (!this.defined) {
      throw new DStreamError(
        'STATE_NOT_SET',
        'State is not set: the key has no state (check state.exists() first, or use state.getOption())',
      );
    }
    return this.value as S;
  }

  /** {@inheritDoc State.getOption} */
  getOption(): S | undefined {
    return this.defined ? this.value : undefined;
  }

  /** {@inheritDoc State.update} */
  update(newState: S): void {
    if (this.timingOut) {
      throw new DStreamError(
        'STATE_TIMING_OUT',
        'Cannot update the state of a key that is timing out: it is removed after this call',
      );
    }
    if (this.removed) {
      throw new DStreamError('STATE_REMOVED', 'Cannot update the state after it has been removed');
    }
    if (newState === undefined) {
      throw new DStreamError(
        'INVALID_STATE',
        'Cannot update the state to undefined: call state.remove() to remove the state of a key',
      );
    }
    this.value = newState;
    this.defined = true;
    this.updated = true;
  }

  /** {@inheritDoc State.remove} */
  remove(): void {
    if (this.timingOut) {
      throw new DStreamError(
        'STATE_TIMING_OUT',
        'Cannot remove the state of a key that is timing out: it is removed after this call anyway',
      );
    }
    if (this.removed) {
      throw new DStreamError(
        'STATE_REMOVED',
        'Cannot remove the state: it has already been removed',
      );
    }
    this.value = undefined;
    this.defined = false;
    this.updated = false;
    this.removed = true;
  }

  /** {@inheritDoc State.isTimingOut} */
  isTimingOut(): boolean {
    return this.timingOut;
  }
}
