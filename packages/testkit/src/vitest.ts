/**
 * @dstream/testkit/vitest: registers the conformance suites as vitest tests. Kept apart from
 * the main entry point so that node:test users never load vitest.
 */
import { describe, it } from 'vitest';
import type { ConformancePlan } from './conformance/conformance-case.js';
import { receiverConformancePlan } from './conformance/receiver-cases.js';
import type { ReceiverHarness } from './conformance/receiver-harness.js';
import { sinkConformancePlan } from './conformance/sink-cases.js';
import type { SinkHarness } from './conformance/sink-harness.js';

/**
 * Registers a `describe` block with one test per receiver conformance case that applies to
 * the harness's receiver (by its capabilities). Excluded cases appear in the block's title.
 *
 * @example
 * ```ts
 * import { describeReceiverConformance } from '@dstream/testkit/vitest';
 * describeReceiverConformance(webhookHarness);
 * ```
 */
export function describeReceiverConformance<T>(harness: ReceiverHarness<T>): void {
  registerPlan('receiver conformance', receiverConformancePlan(harness));
}

/**
 * Registers a `describe` block with one test per sink conformance case that applies to the
 * harness's sink (by its guarantee).
 *
 * @example
 * ```ts
 * import { describeSinkConformance } from '@dstream/testkit/vitest';
 * describeSinkConformance(fileSinkHarness);
 * ```
 */
export function describeSinkConformance<T>(harness: SinkHarness<T>): void {
  registerPlan('sink conformance', sinkConformancePlan(harness));
}

function registerPlan(suite: string, plan: ConformancePlan): void {
  const exclusions = plan.excluded.map((excluded) => `${excluded.id} excluded: ${excluded.reason}`);
  const title = `${suite}: ${plan.name}${exclusions.length > 0 ? ` (${exclusions.join('; ')})` : ''}`;
  describe(title, () => {
    for (const conformanceCase of plan.cases) {
      it(conformanceCase.title, () => conformanceCase.run(), conformanceCase.timeout);
    }
  });
}
