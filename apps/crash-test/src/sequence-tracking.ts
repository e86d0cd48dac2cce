import type { State } from '@dstream/core';

/**
 * Which sequence numbers of a device have been seen: all of `0 … contiguous-1`, plus the
 * numbers above that in `above` (ascending). Seeing a number again changes nothing, so the
 * state is the same however often a message is redelivered.
 */
export interface SequenceState {
  readonly contiguous: number;
  readonly above: readonly number[];
}

/** The state after seeing every sequence number `0 … count-1`: the reference of the check. */
export function completeSequence(count: number): SequenceState {
  return { contiguous: count, above: [] };
}

/** The state after also seeing `seq`, or `undefined` when it had been seen before. */
export function withSequence(state: SequenceState, seq: number): SequenceState | undefined {
  if (seq < state.contiguous || state.above.includes(seq)) return undefined;
  if (seq !== state.contiguous) {
    const above = [...state.above, seq].sort((a, b) => a - b);
    return { contiguous: state.contiguous, above };
  }
  let contiguous = seq + 1;
  let skip = 0;
  while (skip < state.above.length && state.above[skip] === contiguous) {
    contiguous++;
    skip++;
  }
  return { contiguous, above: state.above.slice(skip) };
}

/**
 * The mapping function of the state pipeline (for `StateSpec.function`): records the reading's
 * sequence number in its device's state and emits `<device>-<seq>` the first time it is seen,
 * nothing for a redelivery.
 */
export function trackSequence(
  device: string,
  seq: number | undefined,
  state: State<SequenceState>,
): string | undefined {
  if (seq === undefined) return undefined;
  const next = withSequence(state.getOption() ?? completeSequence(0), seq);
  if (next === undefined) return undefined;
  state.update(next);
  return `${device}-${seq}`;
}
