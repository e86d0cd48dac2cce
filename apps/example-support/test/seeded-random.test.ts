import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/index.js';

describe('SeededRandom', () => {
  it('repeats its sequence for the same seed and keeps values in range', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    for (let i = 0; i < 100; i++) {
      const value = a.next();
      expect(value).toBe(b.next());
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      const n = a.integer(2, 4);
      b.integer(2, 4);
      expect([2, 3, 4]).toContain(n);
    }
    expect(a.pick(['x', 'y'])).toBe(b.pick(['x', 'y']));
    expect(a.gaussian(2)).toBe(b.gaussian(2));
  });
});
