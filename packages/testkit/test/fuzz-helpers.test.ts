import { describe, expect, it } from 'vitest';
import { jsonDecoder, stringDecoder } from '@dstream/core';
import {
  assertFuzzReport,
  FuzzRun,
  FuzzTally,
  generateFuzzPayloads,
  RssMonitor,
} from '../src/index.js';

describe('fuzz payloads', () => {
  it('are the same for the same seed and differ for another seed', () => {
    const a = generateFuzzPayloads({ seed: 7, count: 2000 });
    const b = generateFuzzPayloads({ seed: 7, count: 2000 });
    const c = generateFuzzPayloads({ seed: 8, count: 2000 });
    expect(a.payloads.map((p) => p.bytes.toString('hex'))).toEqual(
      b.payloads.map((p) => p.bytes.toString('hex')),
    );
    expect(a.payloads.map((p) => p.bytes.toString('hex'))).not.toEqual(
      c.payloads.map((p) => p.bytes.toString('hex')),
    );
    expect(a.good + a.bad).toBe(2000);
    expect(a.bad).toBeGreaterThan(400);
    expect(new Set(a.payloads.filter((p) => !p.good).map((p) => p.kind)).size).toBe(5);
  });

  it('are good exactly when the JSON decoder takes them, and text-safe bad ones fail the string decoder', () => {
    const set = generateFuzzPayloads({ seed: 1, count: 5000 });
    for (const payload of set.payloads) {
      let decoded = true;
      try {
        jsonDecoder(payload.bytes);
      } catch {
        decoded = false;
      }
      expect(decoded, `payload ${payload.index} (${payload.kind})`).toBe(payload.good);
    }
    const text = generateFuzzPayloads({
      seed: 2,
      count: 5000,
      badKinds: ['invalid-utf8', 'binary'],
      lineSafe: true,
    });
    for (const payload of text.payloads) {
      expect(payload.bytes.includes(0x0a) || payload.bytes.includes(0x0d)).toBe(false);
      if (!payload.good) expect(() => stringDecoder(payload.bytes)).toThrow();
    }
  });
});

describe('fuzz tally', () => {
  it('reports loss, duplicates, unexpected records and unmatched dead letters', () => {
    const set = generateFuzzPayloads({ seed: 3, count: 100 });
    const tally = new FuzzTally(set);
    const good = set.payloads.filter((p) => p.good);
    const bad = set.payloads.filter((p) => !p.good);
    for (const payload of good.slice(1)) tally.delivered(JSON.parse(payload.bytes.toString()));
    tally.delivered(payload(good[1]));
    tally.delivered('not a record');
    for (const p of bad) tally.deadLettered(p.bytes);
    tally.deadLettered(bad[0].bytes);
    const report = tally.report('test', new RssMonitor());
    expect(report).toMatchObject({
      sent: 100,
      goodDelivered: good.length - 1,
      lost: 1,
      duplicates: 1,
      unexpected: 1,
      badCounted: bad.length,
      badUnmatched: 1,
    });
    expect(() => assertFuzzReport(report)).toThrow(
      /1 good records lost; 1 good records duplicated; 1 unexpected records delivered.*1 dead letters match no bad payload/,
    );
  });

  it('passes a run in which every good record arrived once and every bad one was dead-lettered', async () => {
    const run = new FuzzRun('in-memory', { count: 1000, seed: 5 });
    const sink = run.tally.deadLetterSink();
    for (const p of run.set.payloads) {
      if (p.good) run.tally.delivered(p.bytes.toString());
      else
        await sink.write([{ source: 'x', payload: p.bytes, error: 'bad', time: 0 }], {
          batchTime: 0,
          partition: 0,
          numPartitions: 1,
        });
    }
    await run.completion(1000);
    const report = run.conclude();
    expect(report.lost + report.duplicates + report.unexpected).toBe(0);
    expect(report.badCounted).toBe(run.set.bad);
  });
});

function payload(p: { bytes: Buffer }): unknown {
  return JSON.parse(p.bytes.toString());
}
