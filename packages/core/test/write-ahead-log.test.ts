import { appendFileSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frame, unframe } from '../src/checkpoint/framing.js';
import { WriteAheadLog } from '../src/checkpoint/write-ahead-log.js';
import { ManualClock, silentLogger } from '../src/index.js';
import { deserialize, serialize } from '../src/util/serialization.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'dstream-wal-'));

describe('framing', () => {
  it('reads back framed records and stops at a torn or corrupt record', () => {
    const records = ['one', 'two', 'three'].map((text) => frame(Buffer.from(text)));
    const whole = Buffer.concat(records);
    expect(unframe(whole).records.map(String)).toEqual(['one', 'two', 'three']);

    const torn = whole.subarray(0, whole.length - 2);
    const tornResult = unframe(torn);
    expect(tornResult.records.map(String)).toEqual(['one', 'two']);
    expect(tornResult.problem).toBe('torn');
    expect(tornResult.validLength).toBe(records[0].length + records[1].length);

    const corrupt = Buffer.from(whole);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect(unframe(corrupt)).toMatchObject({ problem: 'corrupt' });
    expect(unframe(corrupt).records.map(String)).toEqual(['one', 'two']);
  });
});

describe('serialization', () => {
  it('round-trips the types state holds', () => {
    const value = {
      map: new Map<unknown, unknown>([
        ['a', 1],
        [['k', 2], new Set([1, 2])],
      ]),
      date: new Date(1234),
      bytes: Buffer.from([1, 2, 3]),
      big: 12345678901234567890n,
      missing: undefined,
      notANumber: NaN,
      infinite: -Infinity,
      nested: [{ $dstream: 'looks like a tag' }],
    };
    expect(deserialize(serialize(value))).toEqual(value);
  });

  it('refuses functions with a clear error', () => {
    expect(() => serialize({ f: () => 1 })).toThrow(/Cannot serialize a function/);
  });
});

describe('WriteAheadLog', () => {
  const open = (directory: string, clock = new ManualClock(), sync: 'always' | number = 'always') =>
    WriteAheadLog.open({ directory, sync, rollInterval: 1000, clock, logger: silentLogger });

  it('returns what was appended when opened again', async () => {
    const directory = tempDir();
    const { log } = await open(directory);
    await log.append(Buffer.from('a'));
    await log.append(Buffer.from('b'));
    await log.close();
    const reopened = await open(directory);
    expect(reopened.records.map(String)).toEqual(['a', 'b']);
    await reopened.log.close();
  });

  it('truncates a torn tail and never returns it as data', async () => {
    const directory = tempDir();
    const { log } = await open(directory);
    await log.append(Buffer.from('kept'));
    await log.close();
    const [segment] = readdirSync(directory);
    const half = frame(Buffer.from('torn record')).subarray(0, 10);
    appendFileSync(join(directory, segment), half);
    const reopened = await open(directory);
    expect(reopened.records.map(String)).toEqual(['kept']);
    expect(statSync(join(directory, segment)).size).toBe(frame(Buffer.from('kept')).length);
    await reopened.log.append(Buffer.from('after'));
    await reopened.log.close();
    expect((await open(directory)).records.map(String)).toEqual(['kept', 'after']);
  });

  it('detects a corrupt record by its CRC and truncates from there', async () => {
    const directory = tempDir();
    const { log } = await open(directory);
    await log.append(Buffer.from('good'));
    await log.close();
    const [segment] = readdirSync(directory);
    const bad = frame(Buffer.from('evil'));
    bad[bad.length - 1] ^= 0x01;
    appendFileSync(join(directory, segment), bad);
    expect((await open(directory)).records.map(String)).toEqual(['good']);
  });

  it('groups appends into one fsync with a sync interval, resolving each once durable', async () => {
    const directory = tempDir();
    const { log } = await open(directory, new ManualClock(), 20);
    await Promise.all(['x', 'y', 'z'].map((text) => log.append(Buffer.from(text))));
    await log.close();
    expect((await open(directory)).records.map(String)).toEqual(['x', 'y', 'z']);
  });

  it('rolls segments by time and deletes the ones a checkpoint covers', async () => {
    const directory = tempDir();
    const clock = new ManualClock(0);
    const { log } = await open(directory, clock);
    await log.append(Buffer.from('t0'));
    clock.setTime(1500);
    await log.append(Buffer.from('t1500'));
    clock.setTime(3000);
    await log.append(Buffer.from('t3000'));
    expect(log.segmentNames).toHaveLength(3);
    await log.deleteOlderThan(2000);
    expect(log.segmentNames).toHaveLength(2);
    await log.close();
    expect((await open(directory, clock)).records.map(String)).toEqual(['t1500', 't3000']);
  });

  it('ignores files that are not segments', async () => {
    const directory = tempDir();
    writeFileSync(join(directory, 'README'), 'not a segment');
    expect((await open(directory)).records).toEqual([]);
  });
});
