import { SeededRandom } from '@dstream/example-support';
import { readingsTopic, type SensorPayload } from './sensor-reading.js';

/** How the simulated fleet behaves. */
export interface FleetSettings {
  /** How many devices publish. */
  readonly devices: number;
  /** Milliseconds between two readings of one device, on average. */
  readonly interval: number;
  /** The fraction of messages that are malformed (0 to 1). */
  readonly malformedRate: number;
  /** The seed of the simulation: the same seed gives the same fleet and readings. */
  readonly seed: number;
  /** The first level of every topic (`<prefix>/<device>/readings`). */
  readonly topicPrefix: string;
}

/** One message to publish. */
export interface Publication {
  readonly topic: string;
  readonly payload: string | Buffer;
}

/** A period of overheating: the temperature rises, holds, and falls back. */
interface HeatEvent {
  readonly start: number;
  readonly rise: number;
  readonly hold: number;
  readonly fall: number;
  readonly peak: number;
}

interface Device {
  readonly id: string;
  readonly topic: string;
  readonly baseTemperature: number;
  readonly baseHumidity: number;
  /** Period and phase of the slow temperature cycle. */
  readonly cycle: number;
  readonly phase: number;
  /** Percent per hour. */
  readonly drain: number;
  /** Whether the device keeps readings while it cannot publish and sends them when it can again. */
  readonly buffersWhenOffline: boolean;
  battery: number;
  lastBatteryTime: number;
  heat: HeatEvent | undefined;
  silentUntil: number;
  buffered: SensorPayload[];
  nextAt: number;
}

/** Heat events per device per hour, on average. */
const HEAT_EVENTS_PER_HOUR = 1.5;
/** Dropouts (the device falls silent for a while) per device per hour, on average. */
const DROPOUTS_PER_HOUR = 1;
/** Readings a buffering device keeps while it cannot publish. */
const MAX_BUFFERED = 30;
/** Reporting is this many times faster while the temperature changes fast. */
const FAST_REPORTING = 4;
const HOUR = 3_600_000;

/**
 * A fleet of simulated sensors. Each device has its own base temperature and humidity, a slow
 * temperature cycle with Gaussian measurement noise, a battery that drains (and is replaced when
 * nearly empty), and from time to time:
 *
 * - a **heat event**: the temperature climbs 15–30 °C above normal, holds, and falls back, while
 *   the device reports four times as often (bursts of readings);
 * - a **dropout**: the device falls silent for 15–90 s; some devices keep their readings and
 *   send them all at once when they come back (another kind of burst);
 * - a **malformed message**: truncated JSON, a wrong type, a missing field, an impossible value,
 *   bytes that are not UTF-8.
 *
 * A few devices start in the middle of a heat event or with a nearly empty battery, so that
 * alerts show up from the first seconds of a run. Everything is drawn from a seeded generator.
 */
export class SensorFleet {
  private readonly random: SeededRandom;
  private readonly devices: Device[] = [];
  private malformedCount = 0;
  private publishedCount = 0;

  constructor(
    private readonly settings: FleetSettings,
    startTime: number,
  ) {
    this.random = new SeededRandom(settings.seed);
    const random = this.random;
    const width = Math.max(4, String(settings.devices).length);
    for (let i = 1; i <= settings.devices; i++) {
      const id = `sensor-${String(i).padStart(width, '0')}`;
      const device: Device = {
        id,
        topic: readingsTopic(settings.topicPrefix, id),
        baseTemperature: random.between(17, 27),
        baseHumidity: random.between(30, 65),
        cycle: random.between(4, 12) * 60_000,
        phase: random.between(0, 2 * Math.PI),
        drain: random.between(0.5, 3),
        buffersWhenOffline: random.chance(0.5),
        battery: random.chance(0.03) ? random.between(6, 13) : random.between(35, 100),
        lastBatteryTime: startTime,
        heat: undefined,
        silentUntil: 0,
        buffered: [],
        nextAt: startTime + random.between(0, settings.interval),
      };
      if (random.chance(0.02)) {
        // Already overheating: at the top of the event when the run starts.
        const rise = random.between(5_000, 15_000);
        device.heat = {
          start: startTime - rise,
          rise,
          hold: random.between(20_000, 60_000),
          fall: random.between(10_000, 30_000),
          peak: random.between(20, 30),
        };
      }
      this.devices.push(device);
    }
  }

  /** The ids of the devices, in order. */
  get deviceIds(): string[] {
    return this.devices.map((device) => device.id);
  }

  /** Messages produced so far, malformed ones included. */
  get published(): number {
    return this.publishedCount;
  }

  /** Malformed messages produced so far. */
  get malformed(): number {
    return this.malformedCount;
  }

  /** The messages due by `now`, in time order per device; advances the simulation to `now`. */
  tick(now: number): Publication[] {
    const out: Publication[] = [];
    for (const device of this.devices) {
      while (device.nextAt <= now) this.step(device, device.nextAt, out);
    }
    return out;
  }

  private step(device: Device, time: number, out: Publication[]): void {
    const random = this.random;
    const settings = this.settings;
    const reading = this.read(device, time);
    const fast = this.temperatureChangingFast(device, time);
    device.nextAt =
      time +
      Math.max(
        settings.interval / 8,
        (settings.interval / (fast ? FAST_REPORTING : 1)) * (1 + random.gaussian(0.1)),
      );

    if (time < device.silentUntil) {
      if (device.buffersWhenOffline && device.buffered.length < MAX_BUFFERED) {
        device.buffered.push(reading);
      }
      return;
    }
    if (device.buffered.length > 0) {
      // Back after a dropout: first everything kept meanwhile, at once.
      for (const kept of device.buffered) this.emit(device, kept, out);
      device.buffered = [];
    }
    this.emit(device, reading, out);

    const perReading = settings.interval / HOUR;
    if (device.heat === undefined && random.chance(HEAT_EVENTS_PER_HOUR * perReading)) {
      device.heat = {
        start: time,
        rise: random.between(5_000, 15_000),
        hold: random.between(15_000, 60_000),
        fall: random.between(10_000, 30_000),
        peak: random.between(15, 30),
      };
    }
    if (random.chance(DROPOUTS_PER_HOUR * perReading)) {
      device.silentUntil = time + random.between(15_000, 90_000);
    }
  }

  private emit(device: Device, reading: SensorPayload, out: Publication[]): void {
    this.publishedCount++;
    if (this.random.chance(this.settings.malformedRate)) {
      this.malformedCount++;
      out.push({ topic: device.topic, payload: this.malform(reading) });
    } else {
      out.push({ topic: device.topic, payload: JSON.stringify(reading) });
    }
  }

  private read(device: Device, time: number): SensorPayload {
    const random = this.random;
    const cycle = 2 * Math.sin((2 * Math.PI * time) / device.cycle + device.phase);
    const heat = this.heatOffset(device, time);
    const temperature = device.baseTemperature + cycle + heat + random.gaussian(0.3);
    const humidity = clamp(device.baseHumidity - 0.8 * heat + random.gaussian(1), 0, 100);

    device.battery -= (device.drain * (time - device.lastBatteryTime)) / HOUR;
    device.lastBatteryTime = time;
    if (device.battery < 8 && random.chance(0.05)) device.battery = 100; // replaced
    device.battery = Math.max(0, device.battery);
    const battery = clamp(device.battery + random.gaussian(0.3), 0, 100);

    return {
      ts: Math.round(time),
      temperature: round(temperature),
      humidity: round(humidity),
      battery: round(battery),
    };
  }

  private heatOffset(device: Device, time: number): number {
    const heat = device.heat;
    if (heat === undefined) return 0;
    const elapsed = time - heat.start;
    if (elapsed < heat.rise) return (heat.peak * elapsed) / heat.rise;
    if (elapsed < heat.rise + heat.hold) return heat.peak;
    const cooling = elapsed - heat.rise - heat.hold;
    if (cooling < heat.fall) return heat.peak * (1 - cooling / heat.fall);
    device.heat = undefined;
    return 0;
  }

  private temperatureChangingFast(device: Device, time: number): boolean {
    const heat = device.heat;
    if (heat === undefined) return false;
    const elapsed = time - heat.start;
    return elapsed < heat.rise || elapsed >= heat.rise + heat.hold;
  }

  /** A broken version of a reading, one of the ways real devices get it wrong. */
  private malform(reading: SensorPayload): string | Buffer {
    const json = JSON.stringify(reading);
    switch (this.random.integer(0, 6)) {
      case 0:
        return json.slice(0, this.random.integer(1, json.length - 2)); // truncated
      case 1:
        return JSON.stringify({ ...reading, temperature: 'hot' });
      case 2:
        return JSON.stringify({
          ts: reading.ts,
          temperature: reading.temperature,
          humidity: reading.humidity,
        });
      case 3:
        return JSON.stringify({ ...reading, humidity: 180 + reading.humidity });
      case 4:
        return Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x22]); // not UTF-8
      case 5:
        return '';
      default:
        return json.replace(/"battery":[^,}]+/, '"battery":NaN');
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
