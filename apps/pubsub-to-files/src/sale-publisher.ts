import type { PubSub, Topic } from '@google-cloud/pubsub';
import { SaleSimulation, type SaleSimulationSettings } from './sale-simulation.js';

/** Milliseconds between two looks at which sales are due. */
const TICK = 100;

/**
 * Publishes the sales of a {@link SaleSimulation} to a Pub/Sub topic as they happen, with the
 * client's batching; counts what Pub/Sub accepted.
 */
export class SalePublisher {
  readonly simulation: SaleSimulation;
  private readonly topic: Topic;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private publishedCount = 0;
  private failedCount = 0;

  constructor(
    pubsub: PubSub,
    topicName: string,
    settings: SaleSimulationSettings,
    private readonly onError: (error: Error) => void,
  ) {
    this.topic = pubsub.topic(topicName, { batching: { maxMessages: 500, maxMilliseconds: 20 } });
    this.simulation = new SaleSimulation(settings, Date.now());
  }

  /** Messages Pub/Sub accepted. */
  get published(): number {
    return this.publishedCount;
  }

  /** Messages Pub/Sub refused. */
  get failed(): number {
    return this.failedCount;
  }

  start(): void {
    this.timer ??= setInterval(this.publishDue, TICK);
  }

  /** Stops publishing and waits until what was published is accepted or refused. Safe twice. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.topic.flush().catch(() => undefined);
    await Promise.all(this.inFlight);
  }

  private readonly publishDue = (): void => {
    for (const message of this.simulation.tick(Date.now())) {
      const publishing: Promise<void> = this.topic.publishMessage(message).then(
        () => {
          this.publishedCount++;
        },
        (error: Error) => {
          if (this.failedCount++ === 0) this.onError(error);
        },
      );
      this.inFlight.add(publishing);
      void publishing.finally(() => this.inFlight.delete(publishing));
    }
  };
}
