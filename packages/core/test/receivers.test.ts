import { afterEach, describe, expect, it } from 'vitest';
import {
  Receiver,
  StreamingContext,
  type AcknowledgeableBlock,
  type ReceiverCapabilities,
  type ReceiverInfo,
} from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

/** A receiver driven by the test: it stores what the test hands it. */
class ScriptedReceiver extends Receiver<string> {
  readonly capabilities: ReceiverCapabilities = {
    reliable: true,
    replayable: false,
    ordered: true,
  };
  readonly acknowledged: AcknowledgeableBlock[] = [];
  starts = 0;
  stops = 0;
  failOnStart = 0;

  onStart(): void {
    this.starts++;
    if (this.failOnStart > 0) {
      this.failOnStart--;
      throw new Error('source unavailable');
    }
  }

  onStop(): void {
    this.stops++;
  }

  override onAcknowledge(block: AcknowledgeableBlock): void {
    this.acknowledged.push(block);
  }
}

describe('receiver streams', () => {
  it('turns records stored one at a time into blocks, and blocks into the batch of their time', async () => {
    const { ssc, clock } = manualContext({ blockInterval: 200 });
    const receiver = new ScriptedReceiver();
    const out = collect(ssc.receiverStream(receiver), false);
    const partitions: number[] = [];
    ssc.receiverStream(new ScriptedReceiver()).foreachBatch((batch) => {
      partitions.push(batch.numPartitions);
    });
    ssc.start();
    await Promise.resolve();
    receiver.store('a');
    receiver.store('b');
    clock.advance(200);
    receiver.store('c');
    clock.advance(800);
    await ssc.awaitIdle();
    receiver.store('d');
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([
      [1000, ['a', 'b', 'c']],
      [2000, ['d']],
    ]);
    expect(partitions).toEqual([1, 1]);
  });

  it('puts every record stored before a batch time into that batch', async () => {
    const { ssc, clock } = manualContext({ blockInterval: 1000 });
    const receiver = new ScriptedReceiver();
    const out = collect(ssc.receiverStream(receiver), false);
    ssc.start();
    clock.advance(999);
    receiver.store('just before');
    clock.advance(1);
    await ssc.awaitIdle();
    expect(out).toEqual([[1000, ['just before']]]);
  });

  it('stores a block with storeBlock and resolves once stored, with its metadata', async () => {
    const { ssc, clock } = manualContext();
    const receiver = new ScriptedReceiver();
    const stream = ssc.receiverStream(receiver);
    const out = collect(stream, false);
    const metadata: unknown[] = [];
    ssc.addListener({
      onBatchCompleted: ({ batchInfo }) =>
        metadata.push(batchInfo.streamIdToInputInfo.get(stream.id)?.metadata),
    });
    ssc.start();
    await Promise.resolve();
    const stored = await receiver.storeBlock(['x', 'y'], { offsets: [0, 2] });
    expect(stored.numRecords).toBe(2);
    await runBatches(ssc, clock, 1);
    expect(out).toEqual([[1000, ['x', 'y']]]);
    expect(metadata).toEqual([{ blocks: [{ id: stored.id, numRecords: 2, offsets: [0, 2] }] }]);
  });

  it("acknowledges a block once stored with ackOn 'stored', passing the tokens in record order", async () => {
    const { ssc, clock } = manualContext();
    const receiver = new ScriptedReceiver();
    collect(ssc.receiverStream(receiver));
    ssc.start();
    await Promise.resolve();
    receiver.store('a', 'token-a');
    receiver.store('b');
    receiver.store('c', 'token-c');
    clock.advance(200);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(receiver.acknowledged.map((block) => block.ackTokens)).toEqual([
      ['token-a', undefined, 'token-c'],
    ]);
  });

  it("acknowledges only after every output of the batch succeeded with ackOn 'processed'", async () => {
    const { ssc, clock } = manualContext();
    const receiver = new ScriptedReceiver();
    receiver.ackOn = 'processed';
    const seen: number[] = [];
    let fail = true;
    ssc.receiverStream(receiver).foreachBatch((batch) => {
      seen.push(receiver.acknowledged.length);
      if (fail && !batch.isEmpty()) throw new Error('output failed');
    });
    ssc.start();
    await Promise.resolve();
    await receiver.storeBlock(['first'], {}, ['t1']);
    expect(receiver.acknowledged).toHaveLength(0);
    await runBatches(ssc, clock, 1);
    expect(receiver.acknowledged).toHaveLength(0);
    fail = false;
    await receiver.storeBlock(['second'], {}, ['t2']);
    await runBatches(ssc, clock, 1);
    expect(seen).toEqual([0, 0]);
    expect(receiver.acknowledged.map((block) => block.ackTokens)).toEqual([['t2']]);
    await ssc.awaitTermination(0).catch(() => undefined);
  });

  it('restarts a receiver whose onStart throws, after the restart delay, and reports the error', async () => {
    const { ssc } = manualContext({ receiverRestartDelay: 10 });
    const receiver = new ScriptedReceiver();
    receiver.failOnStart = 1;
    const errors: ReceiverInfo[] = [];
    ssc.addListener({ onReceiverError: ({ receiverInfo }) => errors.push(receiverInfo) });
    ssc.receiverStream(receiver).print();
    ssc.start();
    await waitUntil(() => receiver.starts === 2);
    expect(errors[0].lastErrorMessage).toBe('source unavailable');
    expect(errors[0].name).toBe('ScriptedReceiver');
    expect(receiver.isStopped()).toBe(false);
  });

  it('restart() stops the receiver and starts it again; reportError keeps it running', async () => {
    const { ssc } = manualContext({ receiverRestartDelay: 10 });
    const receiver = new ScriptedReceiver();
    ssc.receiverStream(receiver).print();
    ssc.start();
    await waitUntil(() => receiver.starts === 1);
    receiver.reportError(new Error('transient'));
    expect(receiver.isStopped()).toBe(false);
    receiver.restart('connection lost');
    await waitUntil(() => receiver.starts === 2);
    expect(receiver.stops).toBe(1);
    expect(ssc.receiverInfos()[0].active).toBe(true);
  });

  it('asks the receiver to slow down when the buffer is full, and lets it go on once a block is cut', async () => {
    const { ssc, clock } = manualContext({ maxBufferedRecords: 3 });
    const receiver = new ScriptedReceiver();
    collect(ssc.receiverStream(receiver));
    ssc.start();
    await Promise.resolve();
    expect([receiver.store('1'), receiver.store('2'), receiver.store('3')]).toEqual([
      true,
      true,
      false,
    ]);
    let resumed = false;
    const capacity = receiver.awaitCapacity().then(() => {
      resumed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resumed).toBe(false);
    clock.advance(200);
    await capacity;
    expect(resumed).toBe(true);
  });

  it('fails a receiver that ignores backpressure instead of buffering without bound', async () => {
    const { ssc } = manualContext({ maxBufferedRecords: 2 });
    const receiver = new ScriptedReceiver();
    collect(ssc.receiverStream(receiver));
    ssc.start();
    await Promise.resolve();
    expect(() => {
      for (let i = 0; i < 100; i++) receiver.store(String(i));
    }).toThrow(/without pausing when store\(\) returned false; limit 2 \(maxBufferedRecords\)/);
  });

  it('limits the rate of a receiver to maxRate records per second', async () => {
    const { ssc } = manualContext();
    const receiver = new ScriptedReceiver();
    collect(ssc.receiverStream(receiver, { maxRate: 5 }));
    ssc.start();
    await Promise.resolve();
    const results = Array.from({ length: 7 }, (_, i) => receiver.store(String(i)));
    expect(results.slice(0, 5)).toEqual([true, true, true, true, true]);
    expect(results[6]).toBe(false);
  });

  it('a graceful stop turns what receivers hold into final batches and processes them', async () => {
    const { ssc, clock } = manualContext();
    const receiver = new ScriptedReceiver();
    const out = collect(ssc.receiverStream(receiver), false);
    ssc.start();
    await runBatches(ssc, clock, 1);
    receiver.store('late-1');
    receiver.store('late-2');
    await ssc.stop({ graceful: true });
    expect(out).toEqual([
      [1000, []],
      [2000, ['late-1', 'late-2']],
    ]);
    expect(receiver.stops).toBe(1);
  });

  it('closes a receiver only after the final batches of a graceful stop were acknowledged', async () => {
    const { ssc, clock } = manualContext();
    const events: string[] = [];
    class ClosingReceiver extends ScriptedReceiver {
      override onStop(): void {
        events.push('stop');
      }
      override onAcknowledge(block: AcknowledgeableBlock): void {
        events.push(`ack ${block.ackTokens.join(',')}`);
      }
      override onClose(): void {
        events.push('close');
      }
    }
    const receiver = new ClosingReceiver();
    receiver.ackOn = 'processed';
    collect(ssc.receiverStream(receiver));
    ssc.start();
    await runBatches(ssc, clock, 1);
    receiver.store('last', 't-last');
    await ssc.stop({ graceful: true });
    expect(events).toEqual(['stop', 'ack t-last', 'close']);
  });

  it('describes blocks cut from records stored one at a time', async () => {
    const { ssc, clock } = manualContext();
    class DescribingReceiver extends ScriptedReceiver {
      override describeBlock(
        records: readonly string[],
        ackTokens: readonly unknown[],
      ): Record<string, unknown> {
        return { first: records[0], tokens: ackTokens.length };
      }
    }
    const receiver = new DescribingReceiver();
    const stream = ssc.receiverStream(receiver);
    collect(stream);
    const metadata: unknown[] = [];
    ssc.addListener({
      onBatchCompleted: ({ batchInfo }) =>
        metadata.push(batchInfo.streamIdToInputInfo.get(stream.id)?.metadata),
    });
    ssc.start();
    receiver.store('a', 1);
    receiver.store('b', 2);
    await runBatches(ssc, clock, 1);
    expect(metadata).toMatchObject([{ blocks: [{ numRecords: 2, first: 'a', tokens: 2 }] }]);
  });

  it('calls receiver methods outside a context with a clear error', () => {
    const receiver = new ScriptedReceiver();
    expect(() => receiver.store('x')).toThrow(
      'Receiver ScriptedReceiver is not attached to a running StreamingContext',
    );
    expect(receiver.isStopped()).toBe(true);
  });
});

async function waitUntil(condition: () => boolean, timeout = 2000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
