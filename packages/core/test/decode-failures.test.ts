import { afterEach, describe, expect, it } from 'vitest';
import {
  ManualClock,
  Receiver,
  RecordDecoding,
  StreamingContext,
  deadLetter,
  jsonDecoder,
  type BatchInfo,
  type DeadLetterRecord,
  type DecodeErrorPolicy,
  type Logger,
  type Sink,
  type SinkWriteContext,
} from '../src/index.js';
import { runBatches } from './helpers.js';

afterEach(async () => {
  await StreamingContext.getActive()?.stop();
});

interface LogEntry {
  readonly level: string;
  readonly bindings: Record<string, unknown>;
  readonly fields: object;
  readonly message: string;
}

/** A logger keeping every entry with the bindings of its child loggers. */
function recordingLogger(
  entries: LogEntry[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { entries: LogEntry[] } {
  const log = (level: string) => (fields: object, message?: string) =>
    void entries.push({ level, bindings, fields, message: message ?? '' });
  return {
    entries,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  };
}

/** A receiver decoding JSON payloads the test hands it, under a decode-error policy. */
class PayloadReceiver extends Receiver<unknown> {
  readonly capabilities = { reliable: false, replayable: false, ordered: true };
  private decoding: RecordDecoding<unknown> | undefined;
  private readonly describeSource = (): string => `payload ${this.position}`;
  private position = 0;

  constructor(private readonly policy: DecodeErrorPolicy) {
    super();
  }

  onStart(): void {
    this.decoding = new RecordDecoding(jsonDecoder, this.policy, this.logger);
  }

  onStop(): void {}

  /** Decodes and stores each payload; resolves once dead letters are written. */
  async push(payloads: readonly string[]): Promise<void> {
    for (const payload of payloads) {
      this.position++;
      const record = this.decoding!.decode(Buffer.from(payload), this.describeSource);
      if (record !== RecordDecoding.SKIPPED) this.store(record);
    }
  }
}

/** A sink as idempotent sinks behave: a write replaces what was written under its identity. */
function replacingSink(): Sink<DeadLetterRecord> & {
  written: Map<string, readonly DeadLetterRecord[]>;
  writes: SinkWriteContext[];
  letters(): DeadLetterRecord[];
} {
  const written = new Map<string, readonly DeadLetterRecord[]>();
  const writes: SinkWriteContext[] = [];
  return {
    guarantee: 'idempotent',
    name: 'replacing',
    written,
    writes,
    write(records, context) {
      writes.push(context);
      written.set(`${context.batchTime}/${context.partition}`, [...records]);
    },
    letters: () => [...written.values()].flat(),
  };
}

function payloads(count: number, bad: (i: number) => boolean): string[] {
  return Array.from({ length: count }, (_, i) => (bad(i) ? `{not json ${i}` : `{"n":${i}}`));
}

describe("the 'skip' policy", () => {
  it('logs one summary per batch and stream, and shows the count in BatchInfo', async () => {
    const logger = recordingLogger();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock, logger });
    const receiver = new PayloadReceiver('skip');
    const stream = ssc.receiverStream(receiver);
    const counts: number[] = [];
    stream.foreachBatch((batch) => void counts.push(batch.count()));
    const infos: BatchInfo[] = [];
    ssc.addListener({ onBatchCompleted: (event) => void infos.push(event.batchInfo) });
    ssc.start();
    await receiver.push(payloads(10_000, (i) => i % 4 === 0));
    await runBatches(ssc, clock, 1);
    await receiver.push(payloads(10, () => true));
    await runBatches(ssc, clock, 2);

    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0].message).toMatch(
      new RegExp(
        `^Stream receiver#${stream.id} .*: skipped 2500 record\\(s\\) that could not be decoded, up to the batch at 1000 ms; first error: .*JSON.* \\(payload 1\\)$`,
      ),
    );
    expect(warnings[0].bindings).toMatchObject({ streamId: stream.id });
    expect(warnings[1].message).toMatch(/skipped 10 record.*batch at 2000 ms.*\(payload 10001\)/);
    expect(counts).toEqual([7500, 0, 0]);
    const failures = infos.map((info) => info.streamIdToInputInfo.get(stream.id)?.decodeFailures);
    expect(failures).toEqual([
      { skipped: 2500, deadLettered: 0 },
      { skipped: 10, deadLettered: 0 },
      undefined,
    ]);
  });

  it('reports a decoder that does not know its stream through its own logger', async () => {
    const logger = recordingLogger();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock, logger });
    const decoding = new RecordDecoding(jsonDecoder, 'skip', logger.child!({ input: 'custom' }));
    ssc.queueStream([[1]]).foreachBatch((batch) => {
      if (batch.isEmpty()) return;
      for (let i = 0; i < 100; i++) decoding.decode(Buffer.from('{'), () => 'custom input');
    });
    ssc.start();
    await runBatches(ssc, clock, 3);
    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].bindings).toEqual({ input: 'custom' });
    expect(warnings[0].message).toMatch(/^Skipped 100 record/);
    expect(decoding.counts).toEqual({ failed: 0, skipped: 100, deadLettered: 0 });
  });
});

describe('dead letters', () => {
  it('are written once per batch under identities that never replace each other', async () => {
    const logger = recordingLogger();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock, logger });
    const sink = replacingSink();
    const receiver = new PayloadReceiver(deadLetter(sink));
    const stream = ssc.receiverStream(receiver);
    stream.foreachBatch(() => {});
    const infos: BatchInfo[] = [];
    ssc.addListener({ onBatchCompleted: (event) => void infos.push(event.batchInfo) });
    ssc.start();
    await receiver.push(payloads(2_000, () => true));
    await runBatches(ssc, clock, 1);
    await receiver.push(payloads(300, (i) => i % 3 === 0));
    await runBatches(ssc, clock, 1);
    await ssc.stop();

    expect(sink.letters()).toHaveLength(2_100);
    expect(new Set(sink.letters().map((letter) => letter.source)).size).toBe(2_100);
    expect(sink.writes.map((write) => write.batchTime)).toEqual([1000, 2000]);
    expect(sink.letters()[0]).toMatchObject({ source: 'payload 1', error: expect.any(String) });
    expect(infos.map((info) => info.streamIdToInputInfo.get(stream.id)?.decodeFailures)).toEqual([
      { skipped: 0, deadLettered: 2_000 },
      { skipped: 0, deadLettered: 100 },
    ]);
    const summaries = logger.entries.filter((entry) => /dead-lettered/.test(entry.message));
    expect(summaries.map((entry) => entry.level)).toEqual(['info', 'info']);
  });

  it('waiting for them writes what is held at once, under a time of its own', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock, logger: recordingLogger() });
    const sink = replacingSink();
    const decoding = new RecordDecoding(jsonDecoder, deadLetter(sink), recordingLogger());
    ssc.queueStream<number>([], true, [0]).foreachBatch(() => {});
    ssc.start();
    await runBatches(ssc, clock, 1);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) decoding.decode(Buffer.from('{'), () => `record ${round}/${i}`);
      await decoding.pendingDeadLetters();
    }
    expect(sink.letters()).toHaveLength(50);
    expect(sink.writes.map((write) => write.batchTime)).toEqual([1000, 1001, 1002, 1003, 1004]);
  });

  it('are written without waiting for the batch once maxBuffered are held', async () => {
    const sink = replacingSink();
    const decoding = new RecordDecoding(
      jsonDecoder,
      deadLetter(sink, { maxBuffered: 100 }),
      recordingLogger(),
    );
    for (let i = 0; i < 250; i++) decoding.decode(Buffer.from('{'), () => `record ${i}`);
    await decoding.pendingDeadLetters();
    expect(sink.letters()).toHaveLength(250);
    expect(sink.writes.map((write) => write.batchTime)).toHaveLength(3);
    expect([...sink.written.values()].map((letters) => letters.length)).toEqual([100, 100, 50]);
  });

  it('a failed write rejects the waiting decoder with DEAD_LETTER_FAILED, once', async () => {
    const decoding = new RecordDecoding(
      jsonDecoder,
      deadLetter({
        guarantee: 'at-least-once',
        write: () => Promise.reject(new Error('disk full')),
      }),
      recordingLogger(),
    );
    decoding.decode(Buffer.from('{'), () => 'record 1');
    await expect(decoding.pendingDeadLetters()).rejects.toThrow(/DEAD_LETTER|disk full/);
    await expect(decoding.pendingDeadLetters()).resolves.toBeUndefined();
  });

  it('a sink cannot receive both dead letters and a stream’s output', () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock, logger: recordingLogger() });
    const letters = replacingSink();
    deadLetter(letters);
    expect(() => ssc.queueStream<DeadLetterRecord>([]).to(letters)).toThrow(/separate sinks/);
    const output = replacingSink();
    ssc.queueStream<DeadLetterRecord>([]).to(output);
    expect(() => deadLetter(output)).toThrow(/separate sinks/);
    expect(() => deadLetter(replacingSink(), { maxBuffered: 0 })).toThrow(/maxBuffered/);
  });
});
