import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ManualClock,
  Receiver,
  StreamingContext,
  silentLogger,
  stderrLogger,
} from '../src/index.js';
import { runBatches } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await StreamingContext.getActive()?.stop();
});

function captured(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

describe('stderrLogger', () => {
  it('writes warnings and errors, one line each, and leaves debug and info out', () => {
    const destination = captured();
    const logger = stderrLogger({ destination });
    logger.debug({ a: 1 }, 'debug line');
    logger.info({ a: 1 }, 'info line');
    logger.warn({ count: 3, topic: 'orders' }, 'Something to know');
    logger.error({ err: new Error('first\nsecond') }, 'Something failed\non two lines');
    expect(destination.lines).toHaveLength(2);
    expect(destination.lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN \[dstream\] Something to know count=3 topic=orders\n$/,
    );
    expect(destination.lines[1]).toMatch(
      /ERROR \[dstream\] Something failed\\non two lines err="first\\nsecond"\n$/,
    );
    for (const line of destination.lines) expect(line.split('\n')).toHaveLength(2);
  });

  it('names what a child logger is bound to on every line', () => {
    const destination = captured();
    const logger = stderrLogger({ destination }).child!({
      receiver: 'MqttReceiver(tcp://localhost:1883)',
      streamId: 3,
    }).child!({ topic: 'a b' });
    logger.warn({}, 'Restarting receiver');
    expect(destination.lines[0]).toContain(
      '[dstream receiver=MqttReceiver(tcp://localhost:1883) streamId=3 topic="a b"] Restarting receiver',
    );
  });

  it('writes debug and info when asked to, and nothing at level silent', () => {
    const verbose = captured();
    stderrLogger({ level: 'debug', destination: verbose }).debug({}, 'details');
    expect(verbose.lines).toHaveLength(1);
    const quiet = captured();
    stderrLogger({ level: 'silent', destination: quiet }).error({}, 'nothing');
    expect(quiet.lines).toHaveLength(0);
    expect(() => stderrLogger({ level: 'loud' as never })).toThrow(/level/);
  });
});

/** What the process writes to stderr from now until the test ends. */
function captureStderr(): string[] {
  const written: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return written;
}

describe('the default logger of a context', () => {
  it('writes a receiver’s warnings to stderr, naming the receiver and its stream', async () => {
    const written = captureStderr();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock });
    class Failing extends Receiver<string> {
      readonly capabilities = { reliable: false, replayable: false, ordered: true };
      override get name(): string {
        return 'FailingReceiver';
      }
      onStart(): void {
        this.reportError(new Error('source unreachable'));
      }
      onStop(): void {}
    }
    const stream = ssc.receiverStream(new Failing());
    stream.foreachBatch(() => {});
    ssc.start();
    await runBatches(ssc, clock, 1);
    const line = written.find((text) => text.includes('source unreachable'));
    expect(line).toMatch(
      new RegExp(
        `ERROR \\[dstream receiver=FailingReceiver streamId=${stream.id}\\] .*source unreachable`,
      ),
    );
  });

  it('is silenced by passing silentLogger', async () => {
    const written = captureStderr();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock, logger: silentLogger });
    ssc.queueStream([[1]]).foreachBatch(() => {
      throw new Error('output failed');
    });
    ssc.awaitTermination().catch(() => {});
    ssc.start();
    await runBatches(ssc, clock, 1);
    expect(written.filter((text) => text.includes('[dstream'))).toEqual([]);
  });
});
