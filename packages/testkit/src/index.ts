/**
 * @dstream/testkit: deterministic tests of streaming programs (a context on a manual clock,
 * queue inputs, outputs collected per batch), and the receiver and sink conformance suites
 * that every connector, first-party or not, runs against its own receivers and sinks.
 *
 * The conformance cases are plain async functions; register them with
 * `@dstream/testkit/vitest` or `@dstream/testkit/node-test`, or run them with
 * {@link runConformancePlan}.
 */
export { createTestContext } from './test-context.js';
export type { TestContext, TestContextOptions, TestInput } from './test-context.js';
export { BatchOutputs } from './batch-outputs.js';
export type { BatchOutput } from './batch-outputs.js';
export { compareRecords, sortRecords } from './record-order.js';
export { waitFor, eventually, sleep, WaitTimeoutError } from './wait-for.js';
export type { WaitOptions } from './wait-for.js';

export { receiverConformancePlan, RECEIVER_CASE_IDS } from './conformance/receiver-cases.js';
export type {
  ReceiverHarness,
  ReceiverFactoryOptions,
  ReceiverCaseId,
  ReceiverConformanceSettings,
  BackpressureSettings,
} from './conformance/receiver-harness.js';
export { sinkConformancePlan, SINK_CASE_IDS } from './conformance/sink-cases.js';
export type {
  SinkHarness,
  SinkCaseId,
  SinkConformanceSettings,
} from './conformance/sink-harness.js';
export { runConformancePlan } from './conformance/conformance-case.js';
export type {
  ConformanceCase,
  ConformancePlan,
  ConformanceReport,
  ExcludedCase,
} from './conformance/conformance-case.js';

export { SeededRandom } from './fuzz/seeded-random.js';
export { generateFuzzPayloads, BAD_PAYLOAD_KINDS, FUZZ_ID_FIELD } from './fuzz/fuzz-payloads.js';
export type {
  BadPayloadKind,
  FuzzPayload,
  FuzzPayloadOptions,
  FuzzPayloadSet,
} from './fuzz/fuzz-payloads.js';
export { FuzzTally, assertFuzzReport } from './fuzz/fuzz-tally.js';
export type { FuzzReport, FuzzLimits } from './fuzz/fuzz-tally.js';
export { FuzzRun } from './fuzz/fuzz-run.js';
export type { FuzzRunOptions } from './fuzz/fuzz-run.js';
export { RssMonitor } from './fuzz/rss-monitor.js';
export {
  fuzzCount,
  fuzzSeed,
  fuzzTimeout,
  recordFuzzReport,
  DEFAULT_FUZZ_SEED,
} from './fuzz/fuzz-settings.js';
