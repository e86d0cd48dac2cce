import { connect, type MqttClient } from 'mqtt';
import { SensorFleet, type FleetSettings } from './sensor-fleet.js';

/** Milliseconds between two looks at which readings are due. */
const TICK = 50;
/** Publications not yet acknowledged by the broker above which the simulator waits. */
const MAX_PENDING = 5_000;

/**
 * Publishes the readings of a {@link SensorFleet} to an MQTT broker with QoS 1, as the devices
 * would: one topic per device, JSON payloads, some of them malformed.
 */
export class SensorSimulator {
  readonly fleet: SensorFleet;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = 0;
  private failures = 0;
  private lastError: string | undefined;

  constructor(
    private readonly url: string,
    settings: FleetSettings,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    this.fleet = new SensorFleet(settings, Date.now());
  }

  /** Publishes that failed (the broker refused them or the simulator stopped first). */
  get failedPublications(): number {
    return this.failures;
  }

  /** Connects and starts publishing; readings are queued by the client until it is connected. */
  start(): void {
    if (this.client !== undefined) return;
    const client = connect(this.url, {
      clientId: `iot-simulator-${process.pid}-${Date.now().toString(36)}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1_000,
    });
    // The same error on every reconnection attempt is reported once, until the client connects.
    client.on('error', (error) => {
      if (error.message === this.lastError) return;
      this.lastError = error.message;
      this.onError(error);
    });
    client.on('connect', () => {
      this.lastError = undefined;
    });
    this.client = client;
    this.timer = setInterval(this.publishDue, TICK);
  }

  /** Stops publishing and disconnects once what was published is acknowledged. Safe twice. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, () => resolve()), 2_000);
      client.end(false, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private readonly publishDue = (): void => {
    const client = this.client;
    if (client === undefined || this.pending > MAX_PENDING) return;
    for (const publication of this.fleet.tick(Date.now())) {
      this.pending++;
      client.publish(publication.topic, publication.payload, { qos: 1 }, this.published);
    }
  };

  private readonly published = (error?: Error): void => {
    this.pending--;
    if (error !== undefined && error !== null) this.failures++;
  };
}
