import { describe, expect, it } from 'vitest';
import {
  sinkConformancePlan,
  SINK_CASE_IDS,
  type SinkCaseId,
  type SinkHarness,
} from '../src/index.js';
import { describeSinkConformance } from '../src/vitest.js';
import {
  AppendingIdempotentSink,
  AppendingSink,
  CommitsOnCloseSink,
  FirstPartitionOnlySink,
  KeyedSink,
  LeakyTransactionalSink,
  memorySinkHarness,
  RecommittingSink,
  StagingSink,
  TruncatingSink,
  type VersionedRecord,
} from './fixtures/memory-sinks.js';

// Well-behaved sinks pass every case that applies to their guarantee.
describeSinkConformance(memorySinkHarness('appending sink', AppendingSink));
describeSinkConformance(memorySinkHarness('keyed sink', KeyedSink));
describeSinkConformance(memorySinkHarness('staging sink', StagingSink));

async function runCase(harness: SinkHarness<VersionedRecord>, id: SinkCaseId): Promise<void> {
  const found = sinkConformancePlan(harness).cases.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`case ${id} does not apply to ${harness.name}`);
  await found.run();
}

describe('sink conformance: the cases that run', () => {
  it('depend on the declared guarantee', () => {
    const ids = (harness: SinkHarness<VersionedRecord>): string[] =>
      sinkConformancePlan(harness).cases.map((c) => c.id);
    expect(ids(memorySinkHarness('at-least-once', AppendingSink))).toEqual([
      'writes-every-record',
      'dead-letters-all-arrive',
    ]);
    expect(ids(memorySinkHarness('idempotent', KeyedSink))).toEqual([
      'writes-every-record',
      'rewrite-replaces',
      'dead-letters-all-arrive',
    ]);
    expect(ids(memorySinkHarness('transactional', StagingSink))).toEqual(
      SINK_CASE_IDS.filter((id) => id !== 'rewrite-replaces'),
    );
  });

  it('fail when the sink declares another guarantee than its harness', async () => {
    const harness = {
      ...memorySinkHarness('mismatch', AppendingSink),
      guarantee: 'idempotent' as const,
    };
    await expect(runCase(harness, 'writes-every-record')).rejects.toThrow(
      /the sink declares 'at-least-once' but the harness says 'idempotent'/,
    );
  });

  it('reject an incomplete harness', () => {
    const harness = memorySinkHarness('incomplete', AppendingSink);
    expect(() => sinkConformancePlan({ ...harness, readVisible: undefined } as never)).toThrow(
      /readVisible/,
    );
    expect(() => sinkConformancePlan({ ...harness, guarantee: 'exactly-once' } as never)).toThrow(
      /guarantee/,
    );
    expect(() => sinkConformancePlan({ ...harness, settings: { records: 0 } })).toThrow(
      /settings.records/,
    );
  });
});

describe('sink conformance: the suite catches broken sinks', () => {
  it('a sink that loses partitions', async () => {
    await expect(
      runCase(
        memorySinkHarness('first partition only', FirstPartitionOnlySink),
        'writes-every-record',
      ),
    ).rejects.toThrow(/after writing three batches: \d+ records are not visible/);
  });

  it('an idempotent sink that appends on rewrite', async () => {
    await expect(
      runCase(memorySinkHarness('appends on rewrite', AppendingIdempotentSink), 'rewrite-replaces'),
    ).rejects.toThrow(
      /after rewriting a batch with new content: 20 records are visible more than once/,
    );
  });

  it('a transactional sink whose aborted writes are visible', async () => {
    await expect(
      runCase(
        memorySinkHarness('leaks aborted writes', LeakyTransactionalSink),
        'aborted-batch-invisible',
      ),
    ).rejects.toThrow(/20 records of the aborted batch are visible while the sink is open/);
  });

  it('a transactional sink that publishes an unfinished batch when closed', async () => {
    const harness = memorySinkHarness('commits on close', CommitsOnCloseSink);
    await runCase(harness, 'aborted-batch-invisible');
    await expect(runCase(harness, 'uncommitted-batch-invisible-after-crash')).rejects.toThrow(
      /20 records of a batch that was never committed are visible after a stop/,
    );
  });

  it('a sink that loses part of a big write of dead letters', async () => {
    await expect(
      runCase(memorySinkHarness('truncates writes', TruncatingSink), 'dead-letters-all-arrive'),
    ).rejects.toThrow(/after dead-lettering 2000 records: \d+ records are not visible/);
  });

  it('a transactional sink that commits a rewritten batch again', async () => {
    await expect(
      runCase(memorySinkHarness('commits twice', RecommittingSink), 'rewrite-never-duplicates'),
    ).rejects.toThrow(/after writing two batches twice: 40 records are visible more than once/);
  });
});
