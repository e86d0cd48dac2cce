import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeadLetterRecord } from '@dstream/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MalformedMessageLog } from '../src/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'malformed-log-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('counts malformed messages and writes them as JSON lines, binary payloads as base64', async () => {
  const path = join(dir, 'nested', 'malformed.jsonl');
  const log = new MalformedMessageLog(path);
  await log.open();
  const record = (payload: Buffer): DeadLetterRecord => ({
    time: 0,
    source: 'topic-a',
    error: 'bad',
    payload,
  });
  await log.write([record(Buffer.from('{oops')), record(Buffer.from([0xff, 0xfe]))]);
  await log.close();
  expect(log.count).toBe(2);
  const lines = (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines).toEqual([
    { time: '1970-01-01T00:00:00.000Z', source: 'topic-a', error: 'bad', payload: '{oops' },
    { time: '1970-01-01T00:00:00.000Z', source: 'topic-a', error: 'bad', payloadBase64: '//4=' },
  ]);
});

it('only counts without a path', async () => {
  const log = new MalformedMessageLog(undefined);
  await log.open();
  const record: DeadLetterRecord = { time: 0, source: 's', error: 'e', payload: Buffer.from('x') };
  await log.write([record]);
  await log.close();
  expect(log.count).toBe(1);
});
