import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamingContext, type Sink, type SinkBatchContext } from '../src/index.js';
import { manualContext, runBatches } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await StreamingContext.getActive()?.stop();
});

describe('print', () => {
  it('prints the first records of every batch under its time, with ... when there are more', async () => {
    const { ssc, clock } = manualContext();
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    ssc.queueStream<unknown>([['a', ['b', 1], 'c']]).print(2);
    ssc.start();
    await runBatches(ssc, clock, 1);
    vi.restoreAllMocks();
    expect(written.join('')).toBe(
      [
        '-------------------------------------------',
        'Time: 1000 ms',
        '-------------------------------------------',
        'a',
        "[ 'b', 1 ]",
        '...',
        '',
        '',
      ].join('\n'),
    );
  });
});

describe('saveAsTextFiles and saveAsObjectFiles', () => {
  it('write one directory per batch with part files and a success marker; a rewrite replaces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dstream-save-'));
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1, 2, 3]]);
    input.repartition(2).saveAsTextFiles(join(dir, 'numbers'), 'txt');
    input.map((n) => ({ n })).saveAsObjectFiles(join(dir, 'objects'));
    ssc.start();
    await runBatches(ssc, clock, 2);
    expect(readdirSync(dir).sort()).toEqual([
      'numbers-1000.txt',
      'numbers-2000.txt',
      'objects-1000',
      'objects-2000',
    ]);
    expect(readdirSync(join(dir, 'numbers-1000.txt')).sort()).toEqual([
      '_SUCCESS',
      'part-00000',
      'part-00001',
    ]);
    expect(readFileSync(join(dir, 'numbers-1000.txt', 'part-00000'), 'utf8')).toBe('1\n3\n');
    expect(readFileSync(join(dir, 'numbers-1000.txt', 'part-00001'), 'utf8')).toBe('2\n');
    expect(readFileSync(join(dir, 'objects-1000', 'part-00000'), 'utf8')).toBe(
      '{"n":1}\n{"n":2}\n{"n":3}\n',
    );
    expect(readFileSync(join(dir, 'numbers-2000.txt', 'part-00000'), 'utf8')).toBe('');
  });
});

describe('to(sink)', () => {
  class RecordingSink implements Sink<number> {
    readonly guarantee = 'transactional' as const;
    readonly name = 'recording';
    readonly calls: string[] = [];
    failOn: number | undefined;
    open(): void {
      this.calls.push('open');
    }
    beginBatch(batch: SinkBatchContext): void {
      this.calls.push(
        `begin ${batch.batchTime} inputs=${[...batch.inputs.values()].map((i) => i.numRecords).join(',')}`,
      );
    }
    write(records: readonly number[], context: { batchTime: number; partition: number }): void {
      if (records.includes(this.failOn ?? NaN)) throw new Error(`cannot write ${this.failOn}`);
      this.calls.push(`write ${context.batchTime}/${context.partition} [${records.join(',')}]`);
    }
    commitBatch(batch: SinkBatchContext): void {
      this.calls.push(`commit ${batch.batchTime}`);
    }
    abortBatch(batch: SinkBatchContext, error: unknown): void {
      this.calls.push(`abort ${batch.batchTime}: ${(error as Error).message}`);
    }
    close(): void {
      this.calls.push('close');
    }
  }

  it('opens once, writes each partition inside begin/commit, aborts a failed batch, and closes on stop', async () => {
    const { ssc, clock } = manualContext();
    const sink = new RecordingSink();
    sink.failOn = 9;
    ssc.queueStream([[1, 2], [9]]).to(sink);
    ssc.start();
    await runBatches(ssc, clock, 2);
    await ssc.stop();
    expect(sink.calls).toEqual([
      'open',
      'begin 1000 inputs=2',
      'write 1000/0 [1,2]',
      'commit 1000',
      'begin 2000 inputs=1',
      'abort 2000: cannot write 9',
      'close',
    ]);
  });

  it('opens again after a failed open, and aborts a batch whose commit fails', async () => {
    const { ssc, clock } = manualContext();
    const calls: string[] = [];
    let opens = 0;
    const sink: Sink<number> = {
      guarantee: 'transactional',
      open() {
        opens++;
        if (opens === 1) throw new Error('broker unreachable');
      },
      write(records, { batchTime }) {
        calls.push(`write ${batchTime} [${records.join(',')}]`);
      },
      commitBatch({ batchTime }) {
        if (batchTime === 2000) throw new Error('commit refused');
        calls.push(`commit ${batchTime}`);
      },
      abortBatch({ batchTime }, error) {
        calls.push(`abort ${batchTime}: ${(error as Error).message}`);
      },
    };
    ssc.queueStream([[1], [2], [3]]).to(sink);
    ssc.start();
    await runBatches(ssc, clock, 3);
    expect(opens).toBe(2);
    expect(calls).toEqual([
      'write 2000 [2]',
      'abort 2000: commit refused',
      'write 3000 [3]',
      'commit 3000',
    ]);
    await expect(ssc.awaitTermination()).rejects.toThrow(/broker unreachable/);
  });
});
