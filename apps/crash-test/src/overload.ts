import { StreamingContext, type BatchInfo } from '@dstream/core';
import { parseArgs } from 'node:util';
import { OfferedLoadReceiver } from './offered-load-receiver.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    factor: { type: 'string', default: '3' },
    'batch-interval': { type: 'string', default: '1000' },
  },
});
const duration = Number(values.seconds) * 1000;
const factor = Number(values.factor);
const batchInterval = Number(values['batch-interval']);

/** Work per record: enough hashing that a batch's cost is its record count. */
function expensive(value: number): number {
  let hash = value;
  for (let i = 0; i < 20_000; i++) hash = Math.imul(hash ^ (hash >>> 13), 0x5bd1e995);
  return hash;
}

async function run(
  offered: number | undefined,
  backpressure: boolean,
  seconds: number,
  report: boolean,
): Promise<BatchInfo[]> {
  const ssc = new StreamingContext({
    batchInterval,
    backpressure,
    initialRate: backpressure ? 1000 : undefined,
    maxBufferedRecords: 50_000,
  });
  const receiver = new OfferedLoadReceiver(offered ?? 1e9);
  ssc
    .receiverStream(receiver)
    .map(expensive)
    .count()
    .foreachBatch(() => undefined);
  const batches: BatchInfo[] = [];
  ssc.addListener({
    onBatchCompleted: ({ batchInfo }) => {
      batches.push(batchInfo);
      if (!report) return;
      const heap = process.memoryUsage();
      console.log(
        `| ${((batchInfo.batchTime - batches[0].batchTime) / 1000).toFixed(0).padStart(4)} s | ${String(batchInfo.numRecords).padStart(8)} | ${String(batchInfo.schedulingDelay).padStart(8)} ms | ${String(batchInfo.processingDelay).padStart(7)} ms | ${(heap.heapUsed / 2 ** 20).toFixed(0).padStart(6)} MiB | ${(heap.rss / 2 ** 20).toFixed(0).padStart(6)} MiB | ${Math.round(receiver.backlog).toString().padStart(9)} |`,
      );
    },
  });
  ssc.start();
  await ssc.awaitTermination(seconds * 1000);
  await ssc.stop();
  return batches;
}

// 1. Capacity: what the pipeline processes per second when input is unlimited and processing is
//    the bottleneck (records per processing second over a few batches).
const probe = await run(undefined, false, 6, false);
const measured = probe.filter((batch) => batch.numRecords > 0 && (batch.processingDelay ?? 0) > 0);
const capacity =
  measured.reduce((sum, b) => sum + b.numRecords, 0) /
  (measured.reduce((sum, b) => sum + (b.processingDelay ?? 0), 0) / 1000);
if (!(capacity > 0)) {
  console.error('Could not measure the capacity: no batch with records completed during the probe');
  process.exit(1);
}
const offered = Math.round(capacity * factor);
console.log(
  `Capacity ≈ ${Math.round(capacity)} records/s; offering ${offered} records/s (${factor}×) for ${duration / 1000} s with backpressure\n`,
);
console.log(
  '| time | records | scheduling delay | processing | heap used | RSS | source backlog |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const batches = await run(offered, true, duration / 1000, true);

// 2. Verdict: over the last third, the scheduling delay stops growing and memory stays flat.
const tail = batches.slice(Math.floor((batches.length * 2) / 3));
const delays = tail.map((batch) => batch.schedulingDelay ?? 0);
const slope =
  delays.length > 1
    ? (delays[delays.length - 1] - delays[0]) /
      ((tail[tail.length - 1].batchTime - tail[0].batchTime) / 1000)
    : 0;
console.log(
  `\nScheduling delay over the last third: from ${delays[0]} ms to ${delays[delays.length - 1]} ms (${slope.toFixed(1)} ms per second of run)`,
);
console.log(`Peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
const settled = slope < batchInterval * 0.05;
console.log(
  settled
    ? 'The scheduling delay stopped growing: backpressure holds the input to what processing absorbs.'
    : 'The scheduling delay is still growing.',
);
process.exit(settled ? 0 : 1);
