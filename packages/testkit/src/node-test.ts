/**
 * @dstream/testkit/node-test: registers the conformance suites as node:test tests.
 */
import { describe, it } from 'node:test';
import type { ConformancePlan } from './conformance/conformance-case.js';
import { receiverConformancePlan } from './conformance/receiver-cases.js';
import type { ReceiverHarness } from './conformance/receiver-harness.js';
import { sinkConformancePlan } from './conformance/sink-cases.js';
import type { SinkHarness } from './conformance/sink-harness.js';

/**
 * Registers a node:test `describe` block with one test per receiver conformance case that
 * applies to the harness's receiver (by its capabilities). Excluded cases are reported as
 * skipped, with their reason.
 *
 * @example
 * ```ts
 * import { describeReceiverConformance } from '@dstream/testkit/node-test';
 * describeReceiverConformance(webhookHarness);
 * ```
 */
export function describeReceiverConformance<T>(harness: ReceiverHarness<T>): void {
  registerPlan('receiver conformance', receiverConformancePlan(harness));
}

/**
 * Registers a node:test `describe` block with one test per sink conformance case that applies
 * to the harness's sink (by its guarantee).
 */
export function describeSinkConformance<T>(harness: SinkHarness<T>): void {
  registerPlan('sink conformance', sinkConformancePlan(harness));
}

function registerPlan(suite: string, plan: ConformancePlan): void {
  void describe(`${suite}: ${plan.name}`, () => {
    for (const conformanceCase of plan.cases) {
      void it(conformanceCase.title, { timeout: conformanceCase.timeout }, () =>
        conformanceCase.run(),
      );
    }
    for (const excluded of plan.excluded) {
      void it(excluded.title, { skip: `excluded: ${excluded.reason}` }, () => undefined);
    }
  });
}
