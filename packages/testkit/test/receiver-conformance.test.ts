import { afterAll, describe, expect, it } from 'vitest';
import {
  receiverConformancePlan,
  RECEIVER_CASE_IDS,
  runConformancePlan,
  type ReceiverCaseId,
  type ReceiverHarness,
} from '../src/index.js';
import { describeReceiverConformance } from '../src/vitest.js';
import type { QueueMessage } from './fixtures/memory-queue.js';
import { queueHarness } from './fixtures/queue-harness.js';
import {
  AcknowledgesOnReceiptReceiver,
  AsyncStartReceiver,
  AutoAcknowledgingQueueReceiver,
  BlockingStartReceiver,
  DropsBufferOnStopReceiver,
  FlushesBufferOnStopReceiver,
  IgnoresBackpressureReceiver,
  leakedTimers,
  LeaksTimerReceiver,
  QueueReceiver,
  ReordersReceiver,
  RestartsOnReportedErrorReceiver,
  StartsOnceReceiver,
  StopThrowsTwiceReceiver,
} from './fixtures/queue-receivers.js';

// Well-behaved receivers pass every case that applies to them.
describeReceiverConformance(queueHarness('reliable queue receiver', QueueReceiver));
describeReceiverConformance(
  queueHarness('auto-acknowledging queue receiver', AutoAcknowledgingQueueReceiver),
);
describeReceiverConformance(queueHarness('buffering queue receiver', FlushesBufferOnStopReceiver));

/** Runs one case of the plan for `harness`; the case must exist for the receiver's capabilities. */
async function runCase(harness: ReceiverHarness<QueueMessage>, id: ReceiverCaseId): Promise<void> {
  const found = receiverConformancePlan(harness).cases.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`case ${id} does not apply to ${harness.name}`);
  await found.run();
}

describe('receiver conformance: the cases that run', () => {
  it('depend on the capabilities: a reliable, replayable, ordered receiver gets every case', () => {
    const plan = receiverConformancePlan(queueHarness('reliable', QueueReceiver));
    expect(plan.cases.map((c) => c.id)).toEqual(RECEIVER_CASE_IDS);
  });

  it('leave out the reliability, replay and acknowledgement cases for an unreliable receiver', () => {
    const plan = receiverConformancePlan(
      queueHarness('unreliable', AutoAcknowledgingQueueReceiver),
    );
    const ids = plan.cases.map((c) => c.id);
    expect(ids).not.toContain('acknowledges-only-when-told');
    expect(ids).not.toContain('redelivers-after-restart');
    expect(ids).not.toContain('replays-to-a-new-receiver');
    expect(ids).toContain('keeps-source-order');
    expect(ids).toContain('slows-down-under-backpressure');
  });

  it('list excluded cases with their reason instead of running them', () => {
    const harness = queueHarness('excluding', QueueReceiver, {
      settings: { exclude: { 'slows-down-under-backpressure': 'its source cannot be paused' } },
    });
    const plan = receiverConformancePlan(harness);
    expect(plan.cases.map((c) => c.id)).not.toContain('slows-down-under-backpressure');
    expect(plan.excluded).toEqual([
      expect.objectContaining({
        id: 'slows-down-under-backpressure',
        reason: 'its source cannot be paused',
      }),
    ]);
  });

  it('reject a harness that is incomplete or whose settings are invalid', () => {
    const harness = queueHarness('incomplete', QueueReceiver);
    expect(() => receiverConformancePlan({ ...harness, publish: undefined } as never)).toThrow(
      /publish/,
    );
    expect(() =>
      receiverConformancePlan({ ...harness, capabilities: { reliable: true } } as never),
    ).toThrow(/capabilities/);
    expect(() =>
      receiverConformancePlan({ ...harness, settings: { batchInterval: 100, blockInterval: 200 } }),
    ).toThrow(/settings.blockInterval/);
  });

  it('fail when the receiver declares other capabilities than its harness', async () => {
    const harness = {
      ...queueHarness('mismatch', AutoAcknowledgingQueueReceiver),
      capabilities: { reliable: true, replayable: true, ordered: true },
    };
    await expect(runCase(harness, 'delivers-published-records')).rejects.toThrow(
      /declares capabilities/,
    );
  });

  it('run without a test framework through runConformancePlan', async () => {
    const plan = receiverConformancePlan(queueHarness('plain', AutoAcknowledgingQueueReceiver));
    const cases = plan.cases.filter(
      (c) => c.id === 'delivers-published-records' || c.id === 'keeps-source-order',
    );
    const report = await runConformancePlan({ ...plan, cases });
    expect(report.passed).toEqual(['delivers-published-records', 'keeps-source-order']);
    expect(report.failed).toEqual([]);
  });
});

describe('receiver conformance: the suite catches broken receivers', () => {
  afterAll(() => {
    for (const timer of leakedTimers) clearInterval(timer);
  });

  it('an onStart that blocks the event loop', async () => {
    await expect(
      runCase(queueHarness('blocking start', BlockingStartReceiver), 'start-returns-promptly'),
    ).rejects.toThrow(/onStart took \d+ ms; it must not block/);
  });

  it('an async onStart', async () => {
    await expect(
      runCase(queueHarness('async start', AsyncStartReceiver), 'start-returns-promptly'),
    ).rejects.toThrow(/onStart returned a promise/);
  });

  it('a receiver declared ordered that reorders records', async () => {
    await expect(
      runCase(queueHarness('reorders', ReordersReceiver), 'keeps-source-order'),
    ).rejects.toThrow(/declares ordered but stored id \d+ after id \d+/);
  });

  it('an onStop that throws the second time', async () => {
    await expect(
      runCase(
        queueHarness('stop throws twice', StopThrowsTwiceReceiver),
        'stop-releases-everything',
      ),
    ).rejects.toThrow(/onStop failed when called a second time: already stopped/);
  });

  it('an onStop that leaves a timer running', async () => {
    await expect(
      runCase(queueHarness('leaks a timer', LeaksTimerReceiver), 'stop-releases-everything'),
    ).rejects.toThrow(/holds more handles than before \(Timeout/);
  });

  it('a receiver that does not subscribe again when restarted', async () => {
    await expect(
      runCase(queueHarness('starts once', StartsOnceReceiver), 'restart-stops-then-starts'),
    ).rejects.toThrow(/records published after the restart: 10 of 10 records missing/);
  });

  it('a receiver that restarts itself when an error is reported', async () => {
    await expect(
      runCase(
        queueHarness('restarts on errors', RestartsOnReportedErrorReceiver),
        'report-error-keeps-running',
      ),
    ).rejects.toThrow(
      /isStopped\(\) is true after reportError\(\)|reportError\(\) stopped or restarted the receiver/,
    );
  });

  it('a receiver that ignores backpressure', async () => {
    await expect(
      runCase(
        queueHarness('ignores backpressure', IgnoresBackpressureReceiver),
        'slows-down-under-backpressure',
      ),
    ).rejects.toThrow(
      /took \d+ records .* under maxRate 100\/s; at most \d+ expected: it must pause its source/,
    );
  });

  it('a receiver that drops what it holds when stopped gracefully', async () => {
    await expect(
      runCase(queueHarness('drops its buffer', DropsBufferOnStopReceiver), 'graceful-stop-drains'),
    ).rejects.toThrow(
      /records the receiver had taken were not in the batches of the graceful stop/,
    );
  });

  it('a receiver declared reliable that acknowledges before storing', async () => {
    const harness = queueHarness('acknowledges on receipt', AcknowledgesOnReceiptReceiver);
    await expect(runCase(harness, 'acknowledges-only-when-told')).rejects.toThrow(
      /acknowledged 50 records whose batch was not processed yet/,
    );
    await expect(runCase(harness, 'redelivers-after-restart')).rejects.toThrow(
      /were not delivered again after the restart/,
    );
    await expect(runCase(harness, 'replays-to-a-new-receiver')).rejects.toThrow(
      /were not replayed to a new receiver/,
    );
  });

  it('the same reliable receiver passes when it acknowledges only in onAcknowledge', async () => {
    const harness = queueHarness('acknowledges when told', QueueReceiver);
    await runCase(harness, 'acknowledges-only-when-told');
    await runCase(harness, 'redelivers-after-restart');
  });
});
