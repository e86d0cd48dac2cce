import type { SensorReading } from './sensor-reading.js';

/** Sums of the readings of one device, combined over a window. */
export interface ReadingTotals {
  readonly count: number;
  readonly temperature: number;
  readonly humidity: number;
  readonly battery: number;
  /** The latest reading timestamp. */
  readonly lastSeen: number;
}

/** The averages of one device over one window. */
export interface DeviceWindow {
  /** Readings in the window. */
  readonly readings: number;
  /** Average temperature, °C. */
  readonly temperature: number;
  /** Average relative humidity, %. */
  readonly humidity: number;
  /** Average battery charge, %. */
  readonly battery: number;
  /** The latest reading timestamp in the window. */
  readonly lastSeen: number;
}

/** The totals of a single reading. */
export function totalsOf(reading: SensorReading): ReadingTotals {
  return {
    count: 1,
    temperature: reading.temperature,
    humidity: reading.humidity,
    battery: reading.battery,
    lastSeen: reading.ts,
  };
}

/**
 * Two totals combined (associative and commutative, so it can reduce windows in any grouping).
 * It returns a new object: the batches of a sliding window are shared by several windows.
 */
export function mergeTotals(left: ReadingTotals, right: ReadingTotals): ReadingTotals {
  return {
    count: left.count + right.count,
    temperature: left.temperature + right.temperature,
    humidity: left.humidity + right.humidity,
    battery: left.battery + right.battery,
    lastSeen: left.lastSeen > right.lastSeen ? left.lastSeen : right.lastSeen,
  };
}

/** The averages of some totals, rounded to hundredths. */
export function averagesOf(totals: ReadingTotals): DeviceWindow {
  const n = totals.count;
  return {
    readings: n,
    temperature: round(totals.temperature / n),
    humidity: round(totals.humidity / n),
    battery: round(totals.battery / n),
    lastSeen: totals.lastSeen,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
