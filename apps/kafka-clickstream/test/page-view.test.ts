import { describe, expect, it } from 'vitest';
import { decodePageView } from '../src/page-view.js';
import { parseOpenSession } from '../src/session-state-store.js';
import { openSession } from '../src/sessionization.js';
import { ShopperSimulation } from '../src/shopper-simulation.js';

const valid = {
  user: 'user-0001',
  page: '/products/3',
  referrer: null,
  ts: 1_700_000_000_000,
  device: 'desktop',
};

describe('decodePageView', () => {
  it('accepts a page view and rejects anything else, saying why', () => {
    expect(decodePageView(Buffer.from(JSON.stringify(valid)))).toEqual(valid);
    const bad: [unknown, RegExp][] = [
      ['not json', /JSON/],
      [[1], /expected a JSON object/],
      [{ ...valid, user: '' }, /user/],
      [{ ...valid, page: 'products' }, /page: expected a path/],
      [{ ...valid, referrer: 3 }, /referrer/],
      [{ ...valid, ts: -1 }, /ts/],
      [{ ...valid, device: 'fridge' }, /device: expected one of desktop, mobile, tablet/],
    ];
    for (const [value, reason] of bad) {
      const payload = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
      expect(() => decodePageView(payload)).toThrow(reason);
    }
  });
});

describe('the state topic', () => {
  it('reads back an open session as written, forgetting the batch time of the earlier run', () => {
    const session = openSession({ ...valid, device: 'mobile' }, 5000);
    expect(parseOpenSession(JSON.stringify(session))).toEqual({ ...session, updatedAt: 0 });
    expect(() => parseOpenSession('{"user":"x"}')).toThrow(/expected an open session/);
  });
});

describe('the shopper simulation', () => {
  const START = 1_700_000_000_000;

  function simulate(seed: number, seconds: number) {
    const simulation = new ShopperSimulation({ users: 100, thinkTime: 1000, seed }, START);
    const views = [];
    for (let t = START; t <= START + seconds * 1000; t += 100) views.push(...simulation.tick(t));
    return { simulation, views };
  }

  it('is the same for the same seed and different for another', () => {
    expect(simulate(3, 30).views).toEqual(simulate(3, 30).views);
    expect(simulate(4, 30).views).not.toEqual(simulate(3, 30).views);
  });

  it('produces valid page views along plausible paths, each user in time order', () => {
    const { simulation, views } = simulate(5, 120);
    expect(simulation.produced).toBe(views.length);
    expect(views.length).toBeGreaterThan(1000);
    const last = new Map<string, number>();
    for (const v of views) {
      expect(decodePageView(Buffer.from(JSON.stringify(v)))).toEqual(v);
      expect(v.ts).toBeGreaterThanOrEqual(last.get(v.user) ?? 0);
      last.set(v.user, v.ts);
    }
    expect(new Set(views.map((v) => v.user)).size).toBe(100);
    // Checkouts happen, but only after the cart.
    const completions = views.filter((v) => v.page === '/checkout/complete');
    expect(completions.length).toBeGreaterThan(0);
    expect(completions.every((v) => v.referrer === 'https://shop.example.com/checkout')).toBe(true);
    // Visits start from outside the site or typed in.
    const entries = views.filter(
      (v) => v.referrer === null || !v.referrer.startsWith('https://shop.example.com'),
    );
    expect(entries.length).toBeGreaterThan(100);
  });
});
