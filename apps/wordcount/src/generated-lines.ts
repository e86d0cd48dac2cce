import { Receiver, type ReceiverCapabilities } from '@dstream/core';

const WORDS = [
  'stream',
  'batch',
  'window',
  'state',
  'block',
  'receiver',
  'sink',
  'kafka',
  'mqtt',
  'node',
];

/**
 * A receiver that makes up lines of words at a steady rate, standing in for a live source.
 * Word choice follows a fixed pseudo-random sequence from `seed`, so runs are repeatable.
 */
export class GeneratedLinesReceiver extends Receiver<string> {
  readonly capabilities: ReceiverCapabilities = {
    reliable: false,
    replayable: false,
    ordered: true,
  };
  private timer: NodeJS.Timeout | undefined;
  private state: number;

  constructor(
    private readonly linesPerSecond: number,
    seed = 42,
  ) {
    super();
    this.state = seed;
  }

  onStart(): void {
    const perTick = Math.max(1, Math.round(this.linesPerSecond / 10));
    this.timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) this.store(this.nextLine());
    }, 100);
  }

  onStop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The next generated line: three to six words. */
  nextLine(): string {
    const count = 3 + (this.next() % 4);
    const words: string[] = [];
    for (let i = 0; i < count; i++) words.push(WORDS[this.next() % WORDS.length]);
    return words.join(' ');
  }

  private next(): number {
    this.state = (Math.imul(this.state, 1103515245) + 12345) >>> 0;
    return this.state >>> 16;
  }
}
