import type { Logger } from '../util/logger.js';

/** Records of one input stream in one batch that could not be decoded, per outcome. */
export interface DecodeFailureSummary {
  /** Skipped under the `'skip'` policy. */
  readonly skipped: number;
  /** Written to the dead-letter sink. */
  readonly deadLettered: number;
}

/** The failures of one decoder since the engine last collected them. */
export interface UnreportedDecodeFailures extends DecodeFailureSummary {
  /** The input stream the decoder belongs to, when known. */
  readonly streamId: number | undefined;
  /** The decoder's logger (bound to its receiver, for receivers). */
  readonly logger: Logger;
  /** The message of the first failure. */
  readonly firstError: string;
  /** Where the first failing record came from. */
  readonly firstSource: string;
}

/** A decoder whose failures the engine collects batch by batch. */
export interface DecodeFailureReporter {
  /** The failures since the last call, and forgets them. */
  takeUnreportedFailures(): UnreportedDecodeFailures | undefined;
}

/** Decoders with failures the engine has not collected yet. */
const withUnreported = new Set<DecodeFailureReporter>();

/**
 * Notes that `reporter` has failures to collect; called on its first failure since the last
 * collection, so the hot path does one set insertion per decoder and batch.
 *
 * @internal
 */
export function noteUnreportedDecodeFailures(reporter: DecodeFailureReporter): void {
  withUnreported.add(reporter);
}

/**
 * Collects the failures of every decoder since the last collection: called by the active
 * context once per batch.
 *
 * @internal
 */
export function collectDecodeFailures(): UnreportedDecodeFailures[] {
  const collected: UnreportedDecodeFailures[] = [];
  for (const reporter of withUnreported) {
    const failures = reporter.takeUnreportedFailures();
    if (failures !== undefined) collected.push(failures);
  }
  withUnreported.clear();
  return collected;
}

/**
 * Forgets failures noted for an earlier context: called when a context starts.
 *
 * @internal
 */
export function forgetUnreportedDecodeFailures(): void {
  for (const reporter of withUnreported) reporter.takeUnreportedFailures();
  withUnreported.clear();
}
