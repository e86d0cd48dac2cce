import { describe, expect, it } from 'vitest';
import { eventually, waitFor, WaitTimeoutError } from '../src/index.js';

describe('waitFor and eventually', () => {
  it('waitFor resolves as soon as the predicate holds', async () => {
    let calls = 0;
    await waitFor(() => ++calls >= 3, { interval: 1 });
    expect(calls).toBe(3);
  });

  it('waitFor fails after the timeout with a WaitTimeoutError naming what was awaited', async () => {
    const failure = waitFor(() => false, { timeout: 30, interval: 5, message: 'the moon' });
    await expect(failure).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(waitFor(() => false, { timeout: 30, message: 'the moon' })).rejects.toThrow(
      /Timed out after 30 ms waiting for the moon/,
    );
  });

  it('eventually retries a failing assertion and returns its result once it passes', async () => {
    let attempts = 0;
    const result = await eventually(
      () => {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts}`);
        return attempts;
      },
      { interval: 1 },
    );
    expect(result).toBe(3);
  });

  it('eventually fails with the last failure as cause', async () => {
    const failure = eventually(
      () => {
        throw new Error('still wrong');
      },
      { timeout: 20, interval: 5 },
    );
    await expect(failure).rejects.toThrow(/still wrong/);
    await failure.catch((error: WaitTimeoutError) => {
      expect((error.cause as Error).message).toBe('still wrong');
      expect(error.code).toBe('WAIT_TIMEOUT');
    });
  });

  it('rejects invalid timing options', async () => {
    await expect(waitFor(() => true, { timeout: -1 })).rejects.toThrow(/timeout/);
    await expect(waitFor(() => true, { interval: 0 })).rejects.toThrow(/interval/);
  });
});
