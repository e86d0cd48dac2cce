import { describe, expect, it } from 'vitest';
import { runReceiverPipeline } from '../src/receiver-pipeline.js';
import { measureReliabilityCase } from '../src/reliability-cost.js';
import { measureKeyedState } from '../src/state-memory.js';

// The benchmarks' measuring code on tiny inputs: what is checked is that it measures what it
// says (every record, every key), never how fast anything is.
describe('measuring code of the benchmarks', () => {
  it('the latency pipeline measures every record that arrived in the window, once', async () => {
    const measured = await runReceiverPipeline({
      batchInterval: 100,
      blockInterval: 20,
      work: 'parse',
      pace: { recordsPerSecond: 5000 },
      warmupMs: 150,
      measureMs: 400,
    });
    const { count, p50, p99, max } = measured.latencies.distribution();
    // 400 ms at 5000 records/s, give or take the 1 ms tick and timer delays.
    expect(count).toBeGreaterThan(1000);
    expect(count).toBeLessThan(2600);
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
    expect(measured.outputRate).toBeGreaterThan(0);
    expect(measured.processing.count).toBeGreaterThan(0);
  });

  it.each(['mapWithState', 'updateStateByKey'] as const)(
    'the state benchmark builds one state per key with %s',
    async (operation) => {
      const measured = await measureKeyedState(operation, 3000, { warmup: 0, runs: 2 });
      expect(measured.keysCounted).toBe(3000);
      expect(Number.isFinite(measured.bytesPerKey)).toBe(true);
      expect(measured.touchMs).toBeGreaterThanOrEqual(0);
    },
  );

  it.each([
    {
      label: 'word count with the write-ahead log',
      pipeline: 'wordCount',
      checkpointEveryBatches: 10,
      writeAheadLog: true,
    },
    {
      label: 'running count, checkpoint every batch',
      pipeline: 'runningCount',
      checkpointEveryBatches: 1,
    },
  ] as const)('the reliability benchmark runs $label', async (testCase) => {
    const measured = await measureReliabilityCase(testCase, { warmupMs: 600, measureMs: 600 });
    expect(measured.rate).toBeGreaterThan(0);
    expect(measured.ratePerCpuSecond).toBeGreaterThan(0);
  });
});
