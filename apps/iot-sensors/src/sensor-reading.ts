import { jsonDecoder } from '@dstream/core';

/** What a sensor publishes, as JSON, to `<prefix>/<device>/readings`. */
export interface SensorPayload {
  /** When the reading was taken, in milliseconds since the epoch. */
  readonly ts: number;
  /** Degrees Celsius. */
  readonly temperature: number;
  /** Relative humidity, percent. */
  readonly humidity: number;
  /** Battery charge, percent. */
  readonly battery: number;
}

/** A reading with the device it came from (the middle level of its topic). */
export interface SensorReading extends SensorPayload {
  readonly device: string;
}

/** The topic a device publishes its readings to. */
export function readingsTopic(prefix: string, device: string): string {
  return `${prefix}/${device}/readings`;
}

/** The topic filter matching every device's readings. */
export function readingsTopicFilter(prefix: string): string {
  return `${prefix}/+/readings`;
}

/** The device of a readings topic: the level before `readings`. */
export function deviceOfTopic(topic: string): string {
  const end = topic.lastIndexOf('/');
  const start = topic.lastIndexOf('/', end - 1);
  return topic.slice(start + 1, end);
}

const RANGES = {
  temperature: [-60, 150],
  humidity: [0, 100],
  battery: [0, 100],
} as const;

/**
 * The decoder of the readings stream: a JSON object with a timestamp and the three measures in
 * their physical ranges. Anything else throws, with the reason, and the stream's decode-error
 * policy takes it from there (the application counts it as malformed).
 */
export function decodeReading(payload: Buffer): SensorPayload {
  const value = jsonDecoder(payload);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('expected a JSON object');
  }
  const record = value as Record<string, unknown>;
  const ts = record.ts;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0) {
    throw new Error(`ts: expected a positive integer timestamp in milliseconds, got ${show(ts)}`);
  }
  for (const field of ['temperature', 'humidity', 'battery'] as const) {
    const measure = record[field];
    const [min, max] = RANGES[field];
    if (typeof measure !== 'number' || !Number.isFinite(measure)) {
      throw new Error(`${field}: expected a number, got ${show(measure)}`);
    }
    if (measure < min || measure > max) {
      throw new Error(`${field}: ${measure} is outside ${min}..${max}`);
    }
  }
  return {
    ts,
    temperature: record.temperature as number,
    humidity: record.humidity as number,
    battery: record.battery as number,
  };
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
