import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  IllegalStateError,
  ManualClock,
  StreamingContext,
  seconds,
} from '../src/index.js';
import { collect, manualContext, runBatches } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

describe('configuration', () => {
  it('names the option, the value and what is allowed', () => {
    expect(() => new StreamingContext({ batchInterval: 0 })).toThrow(
      'Invalid batchInterval: 0; expected a positive whole number',
    );
    expect(() => new StreamingContext({ batchInterval: 1000, blockInterval: 2000 })).toThrow(
      'Invalid blockInterval: 2000; must not exceed batchInterval (1000 ms)',
    );
    expect(() => new StreamingContext({ batchInterval: 1000, maxRate: -5 })).toThrow(
      /Invalid maxRate: -5/,
    );
    expect(() => new StreamingContext({ batchInterval: 1000, batchIntervall: 5 } as never)).toThrow(
      /Invalid batchIntervall: 5; unknown option/,
    );
  });

  it('gives configuration errors a stable code', () => {
    try {
      new StreamingContext({ batchInterval: 1.5 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).toBe('INVALID_CONFIGURATION');
      expect((error as ConfigurationError).option).toBe('batchInterval');
    }
  });
});

describe('lifecycle', () => {
  it('starts the first batch one interval after the zero time', async () => {
    const clock = new ManualClock(2500);
    const ssc = new StreamingContext({ batchInterval: seconds(1), clock });
    const out = collect(ssc.queueStream([[1]]));
    ssc.start();
    expect(ssc.zeroTime).toBe(2000);
    clock.advance(500);
    await ssc.awaitIdle();
    expect(out).toEqual([[3000, [1]]]);
  });

  it('refuses to start twice, to define operations after start, and to start after stop', async () => {
    const { ssc } = manualContext();
    const input = ssc.queueStream([[1]]);
    input.print();
    ssc.start();
    expect(() => ssc.start()).toThrow(
      new IllegalStateError('CONTEXT_ALREADY_STARTED', 'StreamingContext has already been started'),
    );
    expect(() => input.map((x) => x)).toThrow(/after starting a context is not supported/);
    expect(() => ssc.queueStream([[1]])).toThrow(/after starting a context is not supported/);
    await ssc.stop();
    expect(ssc.state).toBe('stopped');
    expect(() => ssc.start()).toThrow(/has already been stopped and cannot be restarted/);
  });

  it('allows one active context per process', async () => {
    const first = manualContext().ssc;
    first.queueStream([[1]]).print();
    first.start();
    const second = manualContext().ssc;
    second.queueStream([[1]]).print();
    expect(() => second.start()).toThrow(/Only one StreamingContext may be active/);
    await first.stop();
    second.start();
    expect(StreamingContext.getActive()).toBe(second);
  });

  it('refuses to start without output operations', () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).map((x) => x);
    expect(() => ssc.start()).toThrow(/No output operations registered/);
  });

  it('stop is safe to call twice and awaitTermination resolves once stopped', async () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).print();
    ssc.start();
    const terminated = ssc.awaitTermination();
    await Promise.all([ssc.stop(), ssc.stop()]);
    await expect(terminated).resolves.toBe(true);
  });

  it('awaitTermination with a timeout resolves false while running', async () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).print();
    ssc.start();
    await expect(ssc.awaitTermination(20)).resolves.toBe(false);
  });

  it('awaitTermination rejects with the error of a failed output operation, and later batches still run', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1], [2]]);
    input.foreachBatch((batch) => {
      if (batch.collect()[0] === 1) throw new Error('sink down');
    });
    const out = collect(input);
    ssc.start();
    await runBatches(ssc, clock, 2);
    await expect(ssc.awaitTermination()).rejects.toThrow(
      /Output operation foreachBatch failed for the batch at 1000 ms: sink down/,
    );
    expect(out).toEqual([
      [1000, [1]],
      [2000, [2]],
    ]);
  });
});

describe('output operations', () => {
  it('run in definition order within a batch, and batches complete in time order', async () => {
    const { ssc, clock } = manualContext();
    const input = ssc.queueStream([[1], [2]]);
    const order: string[] = [];
    input.foreachBatch(async (_batch, time) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(`first@${time}`);
    });
    input.foreachBatch((_batch, time) => {
      order.push(`second@${time}`);
    });
    ssc.start();
    clock.advance(2000);
    await ssc.awaitIdle();
    expect(order).toEqual(['first@1000', 'second@1000', 'first@2000', 'second@2000']);
  });
});
