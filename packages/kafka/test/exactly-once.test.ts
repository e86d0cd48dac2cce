import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StreamingContext, type OutputOperationInfo } from '@dstream/core';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { kafkaDirectStream, kafkaSink } from '../src/index.js';
import {
  brokers,
  closeHelpers,
  committedOffsets,
  createTopic,
  numbered,
  produce,
  readAll,
  uniqueName,
  waitFor,
} from './helpers.js';

const available = await requireBroker('kafka', 'kafka exactly-once');

describe.skipIf(!available)(
  'direct stream + transactional sink: exactly-once read-process-write',
  () => {
    let ssc: StreamingContext | undefined;

    afterEach(async () => {
      await ssc?.stop();
      ssc = undefined;
    });

    afterAll(async () => {
      await closeHelpers();
    });

    it('aborts the transaction of a batch whose output fails; reprocessed from the committed offsets, every record is written once', async () => {
      const input = await createTopic(3);
      const output = await createTopic(2);
      const groupId = uniqueName('group');
      const transactionalId = uniqueName('tx');
      await produce(input, numbered('m', 90, 3));

      /** The application: upper-cases values; `failOn` makes the output fail once at that record. */
      function application(ctx: StreamingContext, failOn?: string): { failures: string[] } {
        const failures: string[] = [];
        let failed = false;
        const stream = kafkaDirectStream(ctx, {
          brokers,
          topics: [input],
          groupId,
          autoOffsetReset: 'earliest',
          maxRatePerPartition: 20,
        });
        stream
          .map((r) => (r.value as string).toUpperCase())
          .to(
            kafkaSink<string>({
              brokers,
              topic: output,
              key: (v) => v,
              value: (v) => {
                if (v === failOn && !failed) {
                  failed = true;
                  throw new Error(`cannot write ${v}`);
                }
                return v;
              },
              transactional: { transactionalId },
            }),
          );
        ctx.addListener({
          onOutputOperationCompleted: ({
            outputOperationInfo,
          }: {
            outputOperationInfo: OutputOperationInfo;
          }) => {
            if (outputOperationInfo.failureReason !== undefined)
              failures.push(outputOperationInfo.failureReason);
          },
        });
        return { failures };
      }

      // First run: 10 records per partition per batch; the second batch fails while writing its
      // third partition (m-47 is offset 15 of partition 2), after the first two were sent.
      const first = new StreamingContext({ batchInterval: 500 });
      ssc = first;
      const run1 = application(first, 'M-47');
      first.awaitTermination().catch(() => {});
      first.start();
      await waitFor(() => run1.failures.length >= 2, {
        message: 'the failed batch and the refused one after it',
      });
      await first.stop();
      ssc = undefined;
      expect(run1.failures[0]).toMatch(/cannot write M-47/);
      // A later batch may not commit offsets past the aborted one.
      expect(run1.failures[1]).toMatch(/will not commit offsets 20-30 .* aborted/);
      expect(await committedOffsets(groupId, input)).toEqual(
        new Map([
          [0, 10n],
          [1, 10n],
          [2, 10n],
        ]),
      );

      // Second run, a new context from the group's committed offsets: the failed batch is processed again.
      const second = new StreamingContext({ batchInterval: 500 });
      ssc = second;
      const run2 = application(second);
      second.start();
      await waitFor(
        async () =>
          [...(await committedOffsets(groupId, input)).values()].every((offset) => offset === 30n),
        { message: 'all input offsets committed' },
      );
      await second.stop();
      ssc = undefined;
      expect(run2.failures).toEqual([]);

      const committed = await readAll(output, true);
      expect(committed.map((m) => m.value).sort()).toEqual(
        numbered('M', 90)
          .map((m) => m.value)
          .sort(),
      );
      // The aborted writes are in the log: a read_uncommitted consumer sees them twice.
      const everything = await readAll(output, false);
      expect(everything.length).toBeGreaterThan(90);
    });

    it('recovers from a checkpoint older than its last committed transactions without writing their batches again', async () => {
      const input = await createTopic(2);
      const output = await createTopic(1);
      const groupId = uniqueName('group');
      const transactionalId = uniqueName('tx');
      const checkpointDir = await mkdtemp(join(tmpdir(), 'dstream-kafka-eos-'));
      await produce(input, numbered('m', 60, 2));
      const withRecords: number[] = [];

      /** 3 records per partition per batch, a checkpoint after every batch, all of them kept. */
      function application(): StreamingContext {
        const ctx = new StreamingContext({
          batchInterval: 300,
          checkpointDir,
          checkpointInterval: 300,
          checkpointRetention: 1000,
        });
        kafkaDirectStream(ctx, {
          brokers,
          topics: [input],
          groupId,
          autoOffsetReset: 'earliest',
          maxRatePerPartition: 10,
        })
          .map((r) => r.value as string)
          .to(kafkaSink<string>({ brokers, topic: output, transactional: { transactionalId } }));
        ctx.addListener({
          onBatchCompleted: ({ batchInfo }) => {
            if (batchInfo.numRecords > 0) withRecords.push(batchInfo.batchTime);
          },
        });
        return ctx;
      }
      const committedTotal = async (): Promise<bigint> =>
        [...(await committedOffsets(groupId, input)).values()]
          .filter((offset) => offset > 0n)
          .reduce((a, b) => a + b, 0n);

      try {
        ssc = await StreamingContext.getOrCreate(checkpointDir, application);
        ssc.start();
        await waitFor(async () => withRecords.length >= 4 && (await committedTotal()) >= 24n, {
          message: 'four batches with records committed',
        });
        await ssc.stop();
        ssc = undefined;

        // As after a crash between a batch's transaction commit and the checkpoint after it: the
        // newest checkpoints are missing, the latest one left predates two committed batches.
        const before = withRecords[withRecords.length - 2];
        for (const name of await readdir(checkpointDir)) {
          const time = /^checkpoint-(\d+)$/.exec(name)?.[1];
          if (time !== undefined && Number(time) >= before) await rm(join(checkpointDir, name));
        }

        ssc = await StreamingContext.getOrCreate(checkpointDir, application);
        ssc.start();
        await waitFor(async () => (await committedTotal()) === 60n, {
          message: 'all input offsets committed after the recovery',
        });
        await ssc.stop();
        ssc = undefined;

        const committed = await readAll(output, true);
        expect(committed.map((m) => m.value).sort()).toEqual(
          numbered('m', 60)
            .map((m) => m.value)
            .sort(),
        );
      } finally {
        await rm(checkpointDir, { recursive: true, force: true });
      }
    });
  },
);
