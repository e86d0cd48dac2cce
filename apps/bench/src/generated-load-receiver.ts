import { Receiver, type ReceiverCapabilities } from '@dstream/core';

/** A record stamped with the moment the receiver stored it (`performance.now()`, ms). */
export interface Stamped<T> {
  readonly value: T;
  readonly arrivedAt: number;
}

/**
 * How fast a {@link GeneratedLoadReceiver} stores:
 * - `fixed`: `recordsPerSecond`, on a 1 ms tick, whatever the engine does (an open loop);
 * - `saturating`: as fast as the engine takes records, keeping at most `maxInFlight` records
 *   stored but not yet output (`outstanding()` tells how many are), so that the input cannot
 *   outrun processing without bound and the rate reached is the pipeline's capacity.
 */
export type LoadPace =
  | { readonly kind: 'fixed'; readonly recordsPerSecond: number }
  | {
      readonly kind: 'saturating';
      readonly maxInFlight: number;
      readonly outstanding: (stored: number) => number;
    };

/** Records stored per turn of the event loop when saturating, so timers keep firing between. */
const SATURATING_CHUNK = 2048;

/**
 * Records `value(sequence)` stamped with `performance.now()` at the moment the receiver makes
 * them, which is the moment it stores them.
 */
export function stampedRecords<T>(
  value: (sequence: number) => T,
): (sequence: number) => Stamped<T> {
  return (sequence) => ({ value: value(sequence), arrivedAt: performance.now() });
}

/**
 * A receiver that generates its records: `recordAt(sequence)` is called for each record right
 * before it is stored (see {@link stampedRecords} for records stamped with their arrival time).
 * It stores through `store()`, pausing until `awaitCapacity()` when the engine asks it to.
 */
export class GeneratedLoadReceiver<T> extends Receiver<T> {
  readonly capabilities: ReceiverCapabilities = {
    reliable: false,
    replayable: false,
    ordered: true,
  };
  /** Records stored so far. */
  stored = 0;
  private running = false;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly pace: LoadPace,
    private readonly recordAt: (sequence: number) => T,
  ) {
    super();
  }

  override get name(): string {
    return 'generated-load';
  }

  onStart(): void {
    this.running = true;
    this.startedAt = performance.now();
    this.stored = 0;
    this.next();
  }

  onStop(): void {
    this.running = false;
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private next(): void {
    if (!this.running) return;
    if (this.pace.kind === 'fixed') this.timer = setTimeout(() => this.tick(), 1);
    else this.immediate = setImmediate(() => this.tick());
  }

  private tick(): void {
    this.timer = undefined;
    this.immediate = undefined;
    if (!this.running) return;
    const pace = this.pace;
    let limit: number;
    if (pace.kind === 'fixed') {
      limit = Math.floor(((performance.now() - this.startedAt) * pace.recordsPerSecond) / 1000);
    } else {
      const room = pace.maxInFlight - pace.outstanding(this.stored);
      if (room <= 0) {
        // Processing is behind: wait for it rather than queue more.
        this.timer = setTimeout(() => this.tick(), 1);
        return;
      }
      limit = this.stored + Math.min(room, SATURATING_CHUNK);
    }
    const recordAt = this.recordAt;
    while (this.stored < limit) {
      const sequence = this.stored++;
      if (!this.store(recordAt(sequence))) {
        this.awaitCapacity().then(
          () => this.next(),
          (error: unknown) => this.reportError(error),
        );
        return;
      }
    }
    this.next();
  }
}
