import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, StreamingContext } from '@dstream/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageView } from '../src/page-view.js';
import {
  buildSessionization,
  extendSession,
  MAX_PAGES,
  openSession,
  type OpenSession,
  type Session,
} from '../src/sessionization.js';

let checkpointDir: string;
let ssc: StreamingContext | undefined;

beforeEach(async () => {
  checkpointDir = await mkdtemp(join(tmpdir(), 'clickstream-sessions-'));
});

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await rm(checkpointDir, { recursive: true, force: true });
});

function view(user: string, ts: number, page: string, referrer: string | null = null): PageView {
  return { user, ts, page, referrer, device: 'mobile' };
}

interface Outcome {
  sessions: Map<number, Session[]>;
  changed: Map<number, string[]>;
  ended: Map<number, string[]>;
  open: Map<number, Record<string, OpenSession>>;
}

/** Sessionizes one array of page views per batch of 1 s, with a gap of 3 s. */
async function run(
  batches: PageView[][],
  extraBatches = 0,
  initial: [string, OpenSession][] = [],
): Promise<Outcome> {
  const clock = new ManualClock();
  ssc = new StreamingContext({ batchInterval: 1000, clock, checkpointDir });
  const streams = buildSessionization(ssc.queueStream([...batches]), 3000, initial);
  const outcome: Outcome = {
    sessions: new Map(),
    changed: new Map(),
    ended: new Map(),
    open: new Map(),
  };
  streams.sessions.foreachBatch((batch, time) => {
    if (!batch.isEmpty()) outcome.sessions.set(time, batch.collect());
  });
  streams.changedSessions.foreachBatch((batch, time) => {
    if (!batch.isEmpty())
      outcome.changed.set(
        time,
        batch
          .collect()
          .map(([user]) => user)
          .sort(),
      );
  });
  streams.endedUsers.foreachBatch((batch, time) => {
    if (!batch.isEmpty()) outcome.ended.set(time, batch.collect().sort());
  });
  streams.openSessions.foreachBatch((batch, time) => {
    outcome.open.set(time, Object.fromEntries(batch.collect()));
  });
  ssc.start();
  clock.advance((batches.length + extraBatches) * 1000);
  await ssc.awaitIdle();
  return outcome;
}

describe('sessionization', () => {
  it("collects a user's page views into one session, finished when the user was idle for the gap", async () => {
    const { sessions, open } = await run(
      [
        [view('ann', 100, '/', 'https://www.google.com/'), view('ann', 600, '/products')],
        [view('ann', 1500, '/products/3')],
        [view('ann', 2200, '/cart'), view('ann', 2700, '/checkout')],
        [view('ann', 3100, '/checkout/complete')],
      ],
      5,
    );
    expect(open.get(4000)?.ann).toMatchObject({
      sessionId: 'ann-100',
      pageViews: 6,
      start: 100,
      end: 3100,
    });
    // Last page view in the batch of 4000: the session times out when a batch comes more than 3 s
    // after that batch, at 8000.
    expect([...sessions.keys()]).toEqual([8000]);
    expect(sessions.get(8000)).toEqual([
      {
        sessionId: 'ann-100',
        user: 'ann',
        device: 'mobile',
        start: new Date(100).toISOString(),
        end: new Date(3100).toISOString(),
        durationMs: 3000,
        pageViews: 6,
        landingPage: '/',
        exitPage: '/checkout/complete',
        referrer: 'https://www.google.com/',
        converted: true,
        pages: ['/', '/products', '/products/3', '/cart', '/checkout', '/checkout/complete'],
        endedBy: 'timeout',
      },
    ]);
    expect(open.get(8000)).toEqual({});
  });

  it('keeps the sessions of different users apart', async () => {
    const { sessions } = await run(
      [
        [view('bob', 100, '/'), view('cat', 200, '/blog/care-guide')],
        [view('bob', 1100, '/products')],
      ],
      5,
    );
    const finished = [...sessions.values()]
      .flat()
      .map((s) => [s.sessionId, s.pageViews, s.converted]);
    expect(finished.sort()).toEqual([
      ['bob-100', 2, false],
      ['cat-200', 1, false],
    ]);
    // cat's last view was in the first batch, bob's in the second: cat finishes one batch earlier.
    expect(sessions.get(5000)?.map((s) => s.user)).toEqual(['cat']);
    expect(sessions.get(6000)?.map((s) => s.user)).toEqual(['bob']);
  });

  it('starts a new session when a page view comes more than the gap after the last one, before the timeout noticed', async () => {
    // The second view arrives in the next batch but is 5 s later in event time (a lagging feed).
    const { sessions, open } = await run([
      [view('dan', 100, '/')],
      [view('dan', 5100, '/products/1')],
    ]);
    expect(sessions.get(2000)).toEqual([
      expect.objectContaining({ sessionId: 'dan-100', pageViews: 1, endedBy: 'gap' }),
    ]);
    expect(open.get(2000)?.dan).toMatchObject({ sessionId: 'dan-5100', pageViews: 1 });
  });

  it('never moves the end of a session back for a page view that arrives out of order', async () => {
    const { open } = await run([[view('eve', 2000, '/'), view('eve', 1500, '/products')]]);
    expect(open.get(1000)?.eve).toMatchObject({ start: 2000, end: 2000, pageViews: 2 });
  });

  it('tells which open sessions each batch changed and which users timed out, for the state topic', async () => {
    const { changed, ended } = await run(
      [[view('fay', 100, '/'), view('gus', 100, '/')], [view('fay', 1100, '/products')], []],
      4,
    );
    expect(changed.get(1000)).toEqual(['fay', 'gus']);
    expect(changed.get(2000)).toEqual(['fay']);
    expect(changed.has(3000)).toBe(false);
    expect(ended.get(5000)).toEqual(['gus']);
    expect(ended.get(6000)).toEqual(['fay']);
  });

  it('continues the open sessions of an earlier run', async () => {
    const earlier = extendSession(
      openSession(view('hal', 100, '/'), 0),
      view('hal', 900, '/cart'),
      0,
    );
    const { sessions } = await run([[view('hal', 1500, '/checkout')]], 5, [['hal', earlier]]);
    expect([...sessions.values()].flat()).toEqual([
      expect.objectContaining({
        sessionId: 'hal-100',
        pageViews: 3,
        exitPage: '/checkout',
        endedBy: 'timeout',
      }),
    ]);
  });

  it(`keeps the first ${MAX_PAGES} pages of a long session and counts them all`, () => {
    let session = openSession(view('ida', 1, '/'), 0);
    for (let i = 2; i <= 60; i++)
      session = extendSession(session, view('ida', i, `/products/${i}`), 0);
    expect(session.pageViews).toBe(60);
    expect(session.pages).toHaveLength(MAX_PAGES);
    expect(session.end).toBe(60);
  });
});
