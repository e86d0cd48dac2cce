/**
 * The input of the MQTT pipelines: numbered readings of a few devices. Every reading has a
 * unique id `d<device>-<seq>`, so output can be checked against input record by record, and
 * per device its sequence numbers run from 0 without gaps, so a per-device state can be checked
 * against a reference.
 */

/** Devices publishing readings. */
export const DEVICES = 10;
/** Readings per device. */
export const READINGS_PER_DEVICE = 300;

/** One reading as published (JSON payload). */
export interface DeviceReading {
  readonly device: string;
  readonly seq: number;
}

/** The name of device `index`. */
export function deviceName(index: number): string {
  return `d${index}`;
}

/** The unique id of a reading. */
export function readingId(reading: DeviceReading): string {
  return `${reading.device}-${reading.seq}`;
}

/** Every reading, interleaved across devices in publishing order (seq 0 of all devices first). */
export function allReadings(): DeviceReading[] {
  const readings: DeviceReading[] = [];
  for (let seq = 0; seq < READINGS_PER_DEVICE; seq++)
    for (let device = 0; device < DEVICES; device++)
      readings.push({ device: deviceName(device), seq });
  return readings;
}
