import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { ShopperSimulation, type ShopperSettings } from './shopper-simulation.js';

/** Milliseconds between two looks at which page views are due. */
const TICK = 100;

/**
 * Produces the page views of a {@link ShopperSimulation} to Kafka as they happen: JSON values
 * keyed by user (so that a user's views stay in order in one partition), with an idempotent
 * producer and acknowledgements from all in-sync replicas.
 */
export class LoadGenerator {
  readonly simulation: ShopperSimulation;
  private producer: Producer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private sentCount = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    settings: ShopperSettings,
    private readonly onError: (error: Error) => void,
  ) {
    this.simulation = new ShopperSimulation(settings, Date.now());
  }

  /** Page views acknowledged by Kafka. */
  get produced(): number {
    return this.sentCount;
  }

  /** Connects, then produces every {@link TICK} ms what the simulation has due. */
  async start(): Promise<void> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    this.producer = producer;
    this.timer = setInterval(this.produceDue, TICK);
  }

  /** Stops producing, waits for what is being sent, and disconnects. Safe to call twice. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sending;
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect();
  }

  private readonly produceDue = (): void => {
    const producer = this.producer;
    // One send at a time; what falls due meanwhile goes with the next one.
    if (producer === undefined || this.sending !== undefined) return;
    const views = this.simulation.tick(Date.now());
    if (views.length === 0) return;
    this.sending = producer
      .send({
        topic: this.topic,
        acks: -1,
        messages: views.map((view) => ({ key: view.user, value: JSON.stringify(view) })),
      })
      .then(
        () => {
          this.sentCount += views.length;
        },
        (error: Error) => this.onError(error),
      )
      .finally(() => {
        this.sending = undefined;
      });
  };
}
