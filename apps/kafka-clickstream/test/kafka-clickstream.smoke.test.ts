import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerAddresses, requireBroker } from '../../../infra/test-support/brokers.mjs';
import { topicsOf } from '../src/kafka-setup.js';
import type { Session } from '../src/sessionization.js';
import {
  buildApp,
  describeRun,
  killApp,
  startApp,
  type AppProcess,
} from '@dstream/example-support/testing';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The application's own variables, not passed on from the test's environment. */
const isAppVariable = (name: string): boolean => name.startsWith('CLICKSTREAM_');

const STATUS_LINE =
  /^\d\d:\d\d:\d\d batch (\d+) page-views (\d+) sessions (\d+) converted (\d+) open (\d+) processing (\d+) ms delay (\d+) ms$/;

const available = await requireBroker('kafka', 'kafka-clickstream smoke test');

/** Every message of `topic` as a `read_committed` consumer sees it: `[key, value]`, in offset order per partition. */
async function readTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
): Promise<[string, string | null][]> {
  const targets = new Map(
    (await admin.fetchTopicOffsets(topic))
      .filter((entry) => BigInt(entry.high) > BigInt(entry.low))
      .map((entry) => [entry.partition, BigInt(entry.high)]),
  );
  const messages: [string, string | null][] = [];
  if (targets.size === 0) return messages;
  const consumer = kafka.consumer({
    groupId: `${topic}-check-${Date.now()}`,
    readUncommitted: false,
  });
  await consumer.connect();
  try {
    const done = new Promise<void>((resolve) => {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const target = targets.get(payload.partition);
        if (target !== undefined && BigInt(payload.lastOffset) + 1n >= target)
          targets.delete(payload.partition);
        if (targets.size === 0) resolve();
      });
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        messages.push([message.key?.toString() ?? '', message.value?.toString() ?? null]);
      },
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

function summaryNumber(stdout: string, pattern: RegExp): number {
  const match = pattern.exec(stdout);
  if (match === null) throw new Error(`No ${pattern} in:\n${stdout}`);
  return Number(match[1]);
}

describe.runIf(available)('the Kafka clickstream application', () => {
  const brokers = brokerAddresses().kafka;
  const kafka = new Kafka({
    clientId: 'clickstream-smoke-test',
    brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const prefix = `clickstream-smoke-${Date.now().toString(36)}-${process.pid}`;
  const topics = topicsOf(prefix);
  const processes: AppProcess[] = [];
  let output: string;

  beforeAll(async () => {
    buildApp(APP_DIR);
    output = await mkdtemp(join(tmpdir(), 'clickstream-smoke-'));
    await admin.connect();
  });

  afterAll(async () => {
    processes.forEach(killApp);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await rm(output, { recursive: true, force: true });
  });

  function run(args: string[]): AppProcess {
    const app = startApp({
      appDir: APP_DIR,
      isAppVariable,
      args: [
        '--brokers',
        brokers.join(','),
        '--topic-prefix',
        prefix,
        '--session-gap',
        '2s',
        '--output',
        output,
        ...args,
      ],
    });
    processes.push(app);
    return app;
  }

  it('sessionizes the generated page views, and across a restart writes every page view to exactly one committed session', async () => {
    // First run: generated traffic; sessions still open at the end stay in the state topic.
    const first = run(['--users', '100', '--think-time', '400ms', '--duration', '8s']);
    expect(await first.exited, describeRun(first)).toBe(0);
    expect(first.stderr).not.toMatch(/\[error\]/);
    expect(first.stdout).toContain(
      `created ${topics.pageViews}, ${topics.sessions}, ${topics.sessionState}`,
    );
    const lines = first.stdout.split('\n').filter((line) => STATUS_LINE.test(line));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    const produced = summaryNumber(first.stdout, /the generator produced (\d+)/);
    const finishedFirst = summaryNumber(first.stdout, /sessions +(\d+) finished/);
    const openAtEnd = summaryNumber(first.stdout, /(\d+) open at the end/);
    expect(produced).toBeGreaterThan(200);
    expect(finishedFirst).toBeGreaterThan(0);
    expect(openAtEnd).toBeGreaterThan(0);

    // Second run, without traffic: it restores the open sessions, reads what the first run left
    // unread, and finishes them all when they time out.
    const second = run(['--no-generator', '--duration', '6s']);
    expect(await second.exited, describeRun(second)).toBe(0);
    expect(second.stderr).not.toMatch(/\[error\]/);
    expect(second.stdout).toContain(
      `${openAtEnd} open sessions restored from ${topics.sessionState}`,
    );
    expect(summaryNumber(second.stdout, /(\d+) open at the end/)).toBe(0);
    const finishedSecond = summaryNumber(second.stdout, /sessions +(\d+) finished/);

    // The committed sessions: each once, and together every produced page view exactly once.
    const sessions = (await readTopic(kafka, admin, topics.sessions)).map(
      ([, value]) => JSON.parse(value as string) as Session,
    );
    expect(sessions).toHaveLength(finishedFirst + finishedSecond);
    expect(new Set(sessions.map((session) => session.sessionId)).size).toBe(sessions.length);
    expect(sessions.reduce((sum, session) => sum + session.pageViews, 0)).toBe(produced);
    for (const session of sessions) {
      expect(session.sessionId).toBe(`${session.user}-${Date.parse(session.start)}`);
      expect(session.landingPage).toBe(session.pages[0]);
    }

    // The state topic ends with a tombstone for every user; the group committed every offset.
    const latest = new Map(await readTopic(kafka, admin, topics.sessionState));
    expect(latest.size).toBeGreaterThan(0);
    expect([...latest.values()].every((value) => value === null)).toBe(true);
    const ends = await admin.fetchTopicOffsets(topics.pageViews);
    const [committed] = await admin.fetchOffsets({
      groupId: `${prefix}-sessionizer`,
      topics: [topics.pageViews],
    });
    for (const { partition, high } of ends) {
      expect(committed.partitions.find((entry) => entry.partition === partition)?.offset).toBe(
        high,
      );
    }

    // The files hold the same sessions.
    const directories = await readdir(join(output, 'sessions'));
    expect(directories.every((name) => /^sessions-\d+\.jsonl$/.test(name))).toBe(true);
    const fromFiles: string[] = [];
    for (const directory of directories) {
      for (const file of await readdir(join(output, 'sessions', directory))) {
        if (!file.startsWith('part-')) continue;
        const text = await readFile(join(output, 'sessions', directory, file), 'utf8');
        for (const line of text.split('\n')) {
          if (line !== '') fromFiles.push((JSON.parse(line) as Session).sessionId);
        }
      }
    }
    expect(fromFiles.sort()).toEqual(sessions.map((session) => session.sessionId).sort());
  }, 60_000);
});
