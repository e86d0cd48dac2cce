import { afterEach, expect, it } from 'vitest';
import { StreamingContext, type BatchInfo, type OutputOperationInfo } from '../src/index.js';
import { manualContext } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

it('posts batch and output-operation events with delays and per-input record counts', async () => {
  const { ssc, clock } = manualContext();
  const events: string[] = [];
  const completed: BatchInfo[] = [];
  const outputs: OutputOperationInfo[] = [];
  ssc.addListener({
    onStreamingStarted: () => events.push('started'),
    onBatchSubmitted: ({ batchInfo }) => events.push(`submitted ${batchInfo.batchTime}`),
    onBatchStarted: ({ batchInfo }) => events.push(`batch started ${batchInfo.batchTime}`),
    onOutputOperationStarted: ({ outputOperationInfo }) =>
      events.push(`output ${outputOperationInfo.id} started`),
    onOutputOperationCompleted: ({ outputOperationInfo }) => {
      events.push(`output ${outputOperationInfo.id} completed`);
      outputs.push(outputOperationInfo);
    },
    onBatchCompleted: ({ batchInfo }) => {
      events.push(`batch completed ${batchInfo.batchTime}`);
      completed.push(batchInfo);
    },
  });
  const a = ssc.queueStream([[1, 2, 3]]);
  const b = ssc.queueStream([[4]]);
  a.union(b).foreachBatch(() => {
    clock.advance(0);
  });
  a.foreachBatch(() => {
    throw new Error('boom');
  }, 'failing');
  ssc.start();
  clock.advance(1000);
  clock.advance(250);
  await ssc.awaitIdle();
  expect(events).toEqual([
    'started',
    'submitted 1000',
    'batch started 1000',
    'output 0 started',
    'output 0 completed',
    'output 1 started',
    'output 1 completed',
    'batch completed 1000',
  ]);
  const [info] = completed;
  expect(info.numRecords).toBe(4);
  expect(info.streamIdToInputInfo.get(a.id)?.numRecords).toBe(3);
  expect(info.streamIdToInputInfo.get(b.id)?.numRecords).toBe(1);
  expect(info.schedulingDelay).toBe(250);
  expect(info.processingDelay).toBe(0);
  expect(info.totalDelay).toBe(250);
  expect(outputs[1]).toMatchObject({ name: 'failing', failureReason: 'boom', batchTime: 1000 });
  await expect(ssc.awaitTermination()).rejects.toThrow(/boom/);
});

it('keeps running when a listener throws', async () => {
  const { ssc, clock } = manualContext();
  ssc.addListener({
    onBatchCompleted: () => {
      throw new Error('listener bug');
    },
  });
  const seen: number[] = [];
  ssc.queueStream([[1], [2]]).foreachBatch((_batch, time) => {
    seen.push(time);
  });
  ssc.start();
  clock.advance(2000);
  await ssc.awaitIdle();
  expect(seen).toEqual([1000, 2000]);
});
