import { Receiver, type ReceiverCapabilities } from '@dstream/core';

/**
 * A source offering records at a fixed rate, like a broker that producers fill at that rate:
 * what the receiver does not take yet waits at the source as a backlog (a counter, as a broker
 * keeps it on disk), never in the engine's memory. The receiver stores as long as `store()`
 * allows and pauses until `awaitCapacity()` when it asks it to slow down.
 */
export class OfferedLoadReceiver extends Receiver<number> {
  readonly capabilities: ReceiverCapabilities = {
    reliable: false,
    replayable: false,
    ordered: true,
  };
  /** Records offered and not taken yet. */
  backlog = 0;
  /** Records taken. */
  taken = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private lastTick = 0;

  constructor(private readonly offeredPerSecond: number) {
    super();
  }

  onStart(): void {
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(), 10);
  }

  onStop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Date.now();
    this.backlog += ((now - this.lastTick) / 1000) * this.offeredPerSecond;
    this.lastTick = now;
    if (this.paused) return;
    while (this.backlog >= 1) {
      this.backlog--;
      this.taken++;
      if (!this.store(this.taken)) {
        this.paused = true;
        void this.awaitCapacity().then(() => {
          this.paused = false;
        });
        return;
      }
    }
  }
}
