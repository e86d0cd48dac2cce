/**
 * The source of time for the job generator. {@link SystemClock} in production;
 * {@link ManualClock} in tests, where advancing the clock runs the batches for the times passed,
 * deterministically.
 */
export interface Clock {
  /** The current time in milliseconds. */
  now(): number;
  /**
   * Calls `callback` once the clock reaches `time` (at once if it already has).
   * @returns a function that cancels the call if it has not happened yet.
   */
  schedule(time: number, callback: () => void): () => void;
}

/** Wall-clock time through `Date.now()` and timers. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(time: number, callback: () => void): () => void {
    const timer = setTimeout(callback, Math.max(0, time - Date.now()));
    return () => clearTimeout(timer);
  }
}

interface ScheduledCall {
  readonly time: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires every scheduled call whose time is
 * passed, in time order, with `now()` equal to each call's time while it runs.
 */
export class ManualClock implements Clock {
  private time: number;
  private sequence = 0;
  private pending: ScheduledCall[] = [];

  constructor(startTime = 0) {
    this.time = startTime;
  }

  now(): number {
    return this.time;
  }

  schedule(time: number, callback: () => void): () => void {
    const call: ScheduledCall = { time, sequence: this.sequence++, callback, cancelled: false };
    this.pending.push(call);
    return () => {
      call.cancelled = true;
    };
  }

  /** Moves the clock forward by `duration` milliseconds, firing what falls due. */
  advance(duration: number): void {
    this.setTime(this.time + duration);
  }

  /** Moves the clock to `time` (never backwards), firing what falls due. */
  setTime(time: number): void {
    if (time < this.time)
      throw new RangeError(`ManualClock cannot go back from ${this.time} to ${time}`);
    for (;;) {
      const next = this.nextDue(time);
      if (next === undefined) break;
      this.pending.splice(this.pending.indexOf(next), 1);
      this.time = Math.max(this.time, next.time);
      next.callback();
    }
    this.time = time;
  }

  private nextDue(limit: number): ScheduledCall | undefined {
    let best: ScheduledCall | undefined;
    this.pending = this.pending.filter((call) => !call.cancelled);
    for (const call of this.pending) {
      if (call.time > limit) continue;
      if (
        !best ||
        call.time < best.time ||
        (call.time === best.time && call.sequence < best.sequence)
      ) {
        best = call;
      }
    }
    return best;
  }
}
