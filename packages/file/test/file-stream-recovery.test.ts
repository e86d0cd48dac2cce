import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type DStream } from '@dstream/core';
import { createFileInputSource, textFileStream } from '../src/index.js';
import { batchTime, collect, fileStreamTestBed, INTERVAL, moveIn, START } from './helpers.js';

const bed = fileStreamTestBed();
describe('textFileStream recovery from a checkpoint', () => {
  it('takes no file twice and takes the files that arrived while the process was down', async () => {
    const checkpointDir = join(bed.folders.root, 'checkpoint');
    let out: Array<[number, string[]]> = [];
    const create = (clock: ManualClock) => (): StreamingContext => {
      const ssc = new StreamingContext({
        batchInterval: INTERVAL,
        clock,
        checkpointInterval: INTERVAL,
      });
      const lines: DStream<string> = textFileStream(ssc, bed.folders.watched);
      out = collect(lines);
      return ssc;
    };

    const firstClock = new ManualClock(START);
    const first = await StreamingContext.getOrCreate(checkpointDir, create(firstClock));
    bed.use(first);
    first.start();
    await moveIn(bed.folders.staging, bed.folders.watched, 'a.txt', 'a\n', batchTime(1) - 100);
    for (let i = 0; i < 2; i++) {
      firstClock.advance(INTERVAL);
      await first.awaitIdle();
    }
    expect(out).toEqual([
      [batchTime(1), ['a']],
      [batchTime(2), []],
    ]);
    await first.stop();

    // While the process is down, a file arrives; it lies in batch 3's interval.
    await moveIn(bed.folders.staging, bed.folders.watched, 'b.txt', 'b\n', batchTime(3) - 100);

    const secondClock = new ManualClock(batchTime(4));
    const second = await StreamingContext.getOrCreate(checkpointDir, create(secondClock));
    bed.use(second);
    second.start();
    await second.awaitIdle();
    // The batches whose time passed while down run at once; a.txt is not read again.
    expect(out).toEqual([
      [batchTime(3), ['b']],
      [batchTime(4), []],
    ]);
  });

  it('gives the batches generated after the checkpoint exactly their files again', async () => {
    const clock = new ManualClock(START);
    const ssc = new StreamingContext({ batchInterval: INTERVAL, clock });
    bed.use(ssc);
    const first = createFileInputSource(ssc, bed.folders.watched, { newFilesOnly: false });
    await moveIn(bed.folders.staging, bed.folders.watched, 'a.txt', 'a\n', batchTime(1) - 100);
    await moveIn(bed.folders.staging, bed.folders.watched, 'b.txt', 'b\n', batchTime(2) - 100);
    first.start();
    await first.computeBatch(batchTime(1));
    await first.computeBatch(batchTime(2));
    // The checkpoint of batch 1 is taken while batch 2 is already generated but not processed.
    const snapshot = first.snapshot();

    await moveIn(bed.folders.staging, bed.folders.watched, 'c.txt', 'c\n', batchTime(3) - 100);
    const second = createFileInputSource(ssc, bed.folders.watched, { newFilesOnly: false });
    second.restore(snapshot);
    second.start();
    const rerun = await second.computeBatch(batchTime(2));
    expect(rerun.batch.collect()).toEqual(['b']);
    const next = await second.computeBatch(batchTime(3));
    expect(next.batch.collect()).toEqual(['c']);
  });

  it("reads a re-run batch's files no further than they were when first taken", async () => {
    const clock = new ManualClock(START);
    const ssc = new StreamingContext({ batchInterval: INTERVAL, clock });
    bed.use(ssc);
    const first = createFileInputSource(ssc, bed.folders.watched, { newFilesOnly: false });
    const file = await moveIn(
      bed.folders.staging,
      bed.folders.watched,
      'a.txt',
      'a1\na2\n',
      batchTime(1) - 100,
    );
    first.start();
    expect((await first.computeBatch(batchTime(1))).batch.collect()).toEqual(['a1', 'a2']);
    const snapshot = first.snapshot();

    // Appended to in place after it was taken: the batch run again reads what the first run read.
    await appendFile(file, 'a3\n');
    const second = createFileInputSource(ssc, bed.folders.watched, { newFilesOnly: false });
    second.restore(snapshot);
    second.start();
    expect((await second.computeBatch(batchTime(1))).batch.collect()).toEqual(['a1', 'a2']);

    // A checkpoint written before sizes were recorded still recovers (the file is read whole).
    const third = createFileInputSource(ssc, bed.folders.watched, { newFilesOnly: false });
    third.restore({
      ...snapshot,
      taken: snapshot.taken.map(([path, time, batch]) => [path, time, batch]),
    });
    expect((await third.computeBatch(batchTime(1))).batch.collect()).toEqual(['a1', 'a2', 'a3']);
  });
});
