import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Batch,
  ManualClock,
  Receiver,
  StateSpec,
  StreamingContext,
  type AcknowledgeableBlock,
  type DStream,
  type InputSource,
  type ReceiverCapabilities,
  type StreamingContextOptions,
} from '../src/index.js';
import { sortRecords } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'dstream-recovery-'));

/** A replayable source: the records of each batch time are a function of the time. */
class TimedSource implements InputSource<string> {
  readonly kind = 'timed';
  computeBatch(time: number): { batch: Batch<string> } {
    const second = time / 1000;
    return { batch: Batch.of([`k${second % 3}`, `k${second % 2}`]) };
  }
}

type Outputs = Map<number, unknown[]>;

function statefulContext(
  clock: ManualClock,
  outputs: Outputs,
  extra: Partial<StreamingContextOptions> = {},
  build: (input: DStream<string>) => DStream<unknown> = (input) =>
    input
      .map((key): [string, number] => [key, 1])
      .updateStateByKey<string, number, number>((values, state) => (state ?? 0) + values.length),
): StreamingContext {
  const ssc = new StreamingContext({
    batchInterval: 1000,
    clock,
    checkpointInterval: 1000,
    ...extra,
  });
  build(ssc.inputStream(new TimedSource())).foreachBatch((batch, time) => {
    outputs.set(time, sortRecords(batch.collect()));
  });
  return ssc;
}

async function runTo(ssc: StreamingContext, clock: ManualClock, time: number): Promise<void> {
  while (clock.now() < time) {
    clock.advance(1000);
    await ssc.awaitIdle();
  }
}

describe('checkpoints and getOrCreate', () => {
  it('creates a new context when the directory holds no checkpoint', async () => {
    const dir = tempDir();
    let created = 0;
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      created++;
      return statefulContext(new ManualClock(), new Map());
    });
    expect(created).toBe(1);
    expect(ssc.checkpointDirectory).toBe(dir);
  });

  it('restores state and re-runs the batches after the checkpoint, including those missed while down', async () => {
    const dir = tempDir();
    const reference: Outputs = new Map();
    const referenceClock = new ManualClock();
    const full = statefulContext(referenceClock, reference, { checkpointDir: tempDir() });
    full.start();
    await runTo(full, referenceClock, 6000);
    await full.stop();

    const firstClock = new ManualClock();
    const first = await StreamingContext.getOrCreate(dir, () =>
      statefulContext(firstClock, new Map()),
    );
    first.start();
    await runTo(first, firstClock, 3000);
    await first.stop(); // a crash: nothing more is written

    const secondClock = new ManualClock(5500);
    const recovered: Outputs = new Map();
    const second = await StreamingContext.getOrCreate(dir, () =>
      statefulContext(secondClock, recovered),
    );
    second.start();
    await second.awaitIdle();
    expect([...recovered.keys()]).toEqual([4000, 5000]);
    await runTo(second, secondClock, 6000);
    expect(recovered.get(4000)).toEqual(reference.get(4000));
    expect(recovered.get(5000)).toEqual(reference.get(5000));
    expect(recovered.get(6000)).toEqual(reference.get(6000));
  });

  it('recovers mapWithState and incremental windows to the same results as an uninterrupted run', async () => {
    const build = (input: DStream<string>): DStream<unknown> => {
      const pairs = input.map((key): [string, number] => [key, 1]);
      const running = pairs.mapWithState(
        StateSpec.function<string, number, number, [string, number]>((key, value, state) => {
          const total = (state.getOption() ?? 0) + (value ?? 0);
          state.update(total);
          return [key, total];
        }),
      );
      const windowed = pairs.reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        3000,
        1000,
        2,
        ([, n]) => n > 0,
      );
      return running.union(
        windowed.map(([key, count]): [string, number] => [`window-${key}`, count]),
      );
    };
    const reference: Outputs = new Map();
    const referenceClock = new ManualClock();
    const full = statefulContext(referenceClock, reference, { checkpointDir: tempDir() }, build);
    full.start();
    await runTo(full, referenceClock, 8000);
    await full.stop();

    const dir = tempDir();
    const firstClock = new ManualClock();
    const first = await StreamingContext.getOrCreate(dir, () =>
      statefulContext(firstClock, new Map(), {}, build),
    );
    first.start();
    await runTo(first, firstClock, 4000);
    await first.stop();

    const secondClock = new ManualClock(4000);
    const recovered: Outputs = new Map();
    const second = await StreamingContext.getOrCreate(dir, () =>
      statefulContext(secondClock, recovered, {}, build),
    );
    second.start();
    await runTo(second, secondClock, 8000);
    for (const time of [5000, 6000, 7000, 8000])
      expect(recovered.get(time)).toEqual(reference.get(time));
  });

  it('refuses a checkpoint written by a graph of another shape, saying what changed', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await StreamingContext.getOrCreate(dir, () => statefulContext(clock, new Map()));
    first.start();
    await runTo(first, clock, 1000);
    await first.stop();
    await expect(
      StreamingContext.getOrCreate(dir, () =>
        statefulContext(new ManualClock(), new Map(), {}, (input) =>
          input
            .map((key): [string, number] => [key, 2])
            .filter(() => true)
            .updateStateByKey<string, number, number>(
              (values, state) => (state ?? 0) + values.length,
            ),
        ),
      ),
    ).rejects.toThrow(/written by a graph of another shape[\s\S]*stream (changed|added)/);
    await expect(
      StreamingContext.getOrCreate(dir, () => {
        const ssc = new StreamingContext({ batchInterval: 2000, clock: new ManualClock() });
        ssc.inputStream(new TimedSource()).print();
        return ssc;
      }),
    ).rejects.toMatchObject({ code: 'CHECKPOINT_INCOMPATIBLE' });
  });

  it('keeps the last few checkpoints and falls back to an older one when the newest is damaged', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const outputs: Outputs = new Map();
    const first = await StreamingContext.getOrCreate(dir, () => statefulContext(clock, outputs));
    first.start();
    await runTo(first, clock, 5000);
    await first.stop();
    const files = readdirSync(dir)
      .filter((name) => name.startsWith('checkpoint-'))
      .sort();
    expect(files).toHaveLength(3);
    writeFileSync(join(dir, files[2]), 'garbage');

    const recovered: Outputs = new Map();
    const secondClock = new ManualClock(5000);
    const second = await StreamingContext.getOrCreate(dir, () =>
      statefulContext(secondClock, recovered),
    );
    second.start();
    await second.awaitIdle();
    expect([...recovered.keys()]).toEqual([5000]);
    expect(recovered.get(5000)).toEqual(outputs.get(5000));
  });

  it('a graceful stop writes a final checkpoint even between checkpoint intervals', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const ssc = await StreamingContext.getOrCreate(dir, () =>
      statefulContext(clock, new Map(), { checkpointInterval: 10_000 }),
    );
    ssc.start();
    await runTo(ssc, clock, 3000);
    expect(readdirSync(dir).filter((name) => name.startsWith('checkpoint-'))).toEqual([]);
    await ssc.stop({ graceful: true });
    expect(readdirSync(dir).filter((name) => name.startsWith('checkpoint-'))).toEqual([
      'checkpoint-0000000000003000',
    ]);
  });
});

describe('write-ahead log', () => {
  class LoggedReceiver extends Receiver<string> {
    readonly capabilities: ReceiverCapabilities = {
      reliable: true,
      replayable: false,
      ordered: true,
    };
    readonly acknowledged: string[][] = [];
    logFilesAtAck: number[] = [];
    constructor(private readonly logDir: string) {
      super();
    }
    onStart(): void {}
    onStop(): void {}
    override onAcknowledge(block: AcknowledgeableBlock): void {
      this.acknowledged.push(block.ackTokens as string[]);
      this.logFilesAtAck.push(existsSync(this.logDir) ? readdirSync(this.logDir).length : 0);
    }
  }

  function loggedContext(
    dir: string,
    clock: ManualClock,
    receiver: LoggedReceiver,
    outputs: Outputs,
  ): StreamingContext {
    const ssc = new StreamingContext({
      batchInterval: 1000,
      clock,
      checkpointDir: dir,
      writeAheadLog: true,
      checkpointInterval: 1000,
    });
    ssc.receiverStream(receiver).foreachBatch((batch, time) => {
      outputs.set(time, batch.collect());
    });
    return ssc;
  }

  it('acknowledges only after the block is in the log, and recovers blocks stored before a crash', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const receiver = new LoggedReceiver(join(dir, 'received-blocks'));
    const first = await StreamingContext.getOrCreate(dir, () =>
      loggedContext(dir, clock, receiver, new Map()),
    );
    first.start();
    await receiver.storeBlock(['a', 'b'], {}, ['ack-a', 'ack-b']);
    expect(receiver.acknowledged).toEqual([['ack-a', 'ack-b']]);
    expect(receiver.logFilesAtAck[0]).toBeGreaterThan(0);
    await first.stop(); // crash before any batch processed the block

    const outputs: Outputs = new Map();
    const secondClock = new ManualClock();
    const second = await StreamingContext.getOrCreate(dir, () =>
      loggedContext(dir, secondClock, new LoggedReceiver(dir), outputs),
    );
    second.start();
    secondClock.advance(1000);
    await second.awaitIdle();
    expect(outputs.get(1000)).toEqual(['a', 'b']);
  });

  it('re-runs the batches after the checkpoint with the same blocks', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const receiver = new LoggedReceiver(join(dir, 'received-blocks'));
    const firstOutputs: Outputs = new Map();
    const first = await StreamingContext.getOrCreate(dir, () =>
      loggedContext(dir, clock, receiver, firstOutputs),
    );
    first.start();
    await receiver.storeBlock(['one']);
    clock.advance(1000);
    await first.awaitIdle();
    await receiver.storeBlock(['two']);
    clock.advance(1000);
    await first.awaitIdle();
    await receiver.storeBlock(['three']);
    await first.stop(); // crash: 'three' stored but not in a batch yet

    const outputs: Outputs = new Map();
    const secondClock = new ManualClock(2000);
    const second = await StreamingContext.getOrCreate(dir, () =>
      loggedContext(dir, secondClock, new LoggedReceiver(dir), outputs),
    );
    second.start();
    secondClock.advance(1000);
    await second.awaitIdle();
    expect(firstOutputs).toEqual(
      new Map([
        [1000, ['one']],
        [2000, ['two']],
      ]),
    );
    expect(outputs).toEqual(new Map([[3000, ['three']]]));
  });

  it('needs a checkpoint directory', () => {
    expect(() => new StreamingContext({ batchInterval: 1000, writeAheadLog: true })).toThrow(
      /Invalid writeAheadLog: true; the write-ahead log lives in the checkpoint directory/,
    );
  });
});
