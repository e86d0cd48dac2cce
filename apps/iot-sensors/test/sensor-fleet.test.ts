import { describe, expect, it } from 'vitest';
import { SensorFleet, type FleetSettings } from '../src/sensor-fleet.js';
import { decodeReading, deviceOfTopic } from '../src/sensor-reading.js';

const settings: FleetSettings = {
  devices: 200,
  interval: 1000,
  malformedRate: 0.01,
  seed: 7,
  topicPrefix: 'sensors',
};
const START = 1_700_000_000_000;

/** Every publication of `seconds` of simulated time, one tick per 100 ms. */
function simulate(fleetSettings: FleetSettings, seconds: number) {
  const fleet = new SensorFleet(fleetSettings, START);
  const publications = [];
  for (let t = START; t <= START + seconds * 1000; t += 100) publications.push(...fleet.tick(t));
  return { fleet, publications };
}

describe('the simulated fleet', () => {
  it('is the same for the same seed and different for another', () => {
    const a = simulate(settings, 20).publications;
    const b = simulate(settings, 20).publications;
    const c = simulate({ ...settings, seed: 8 }, 20).publications;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('publishes about one reading per device and interval, each to its device topic', () => {
    const { fleet, publications } = simulate(settings, 60);
    // 200 devices for 60 s: about 12 000, more with the fast reporting of heat events.
    expect(publications.length).toBeGreaterThan(11_000);
    expect(publications.length).toBeLessThan(14_000);
    expect(fleet.published).toBe(publications.length);
    const devices = new Set(publications.map((publication) => deviceOfTopic(publication.topic)));
    expect(devices.size).toBe(200);
    expect([...devices].sort()[0]).toBe('sensor-0001');
  });

  it('makes exactly the messages it counts as malformed undecodable, at about the configured rate', () => {
    const { fleet, publications } = simulate(settings, 60);
    let rejected = 0;
    for (const publication of publications) {
      const payload = Buffer.isBuffer(publication.payload)
        ? publication.payload
        : Buffer.from(publication.payload);
      try {
        decodeReading(payload);
      } catch {
        rejected++;
      }
    }
    expect(rejected).toBe(fleet.malformed);
    expect(rejected / publications.length).toBeGreaterThan(0.005);
    expect(rejected / publications.length).toBeLessThan(0.02);
  });

  it('gives readings realistic noise, some devices overheating and some with a nearly empty battery from the start', () => {
    const { publications } = simulate({ ...settings, malformedRate: 0 }, 10);
    const byDevice = new Map<string, { temperature: number; battery: number }[]>();
    for (const publication of publications) {
      const reading = decodeReading(Buffer.from(publication.payload as string));
      const device = deviceOfTopic(publication.topic);
      byDevice.set(device, [...(byDevice.get(device) ?? []), reading]);
    }
    const averages = [...byDevice.values()].map((readings) => ({
      temperature: readings.reduce((sum, r) => sum + r.temperature, 0) / readings.length,
      battery: readings.reduce((sum, r) => sum + r.battery, 0) / readings.length,
      spread:
        Math.max(...readings.map((r) => r.temperature)) -
        Math.min(...readings.map((r) => r.temperature)),
    }));
    const hot = averages.filter((average) => average.temperature > 40).length;
    const low = averages.filter((average) => average.battery < 15).length;
    const normal = averages.filter(
      (average) => average.temperature > 15 && average.temperature < 30,
    ).length;
    expect(hot).toBeGreaterThanOrEqual(1);
    expect(hot).toBeLessThan(20);
    expect(low).toBeGreaterThanOrEqual(1);
    expect(low).toBeLessThan(20);
    expect(normal).toBeGreaterThan(170);
    // No two readings of a device are the same: there is measurement noise.
    expect(averages.every((average) => average.spread > 0)).toBe(true);
  });

  it('sends bursts: devices back from a dropout send what they kept at once', () => {
    const fleet = new SensorFleet({ ...settings, devices: 500, malformedRate: 0 }, START);
    let largest = 0;
    for (let t = START; t <= START + 200_000; t += 100) {
      // Readings of one device in one 100 ms tick: more than one or two means a burst.
      const perDevice = new Map<string, number>();
      for (const publication of fleet.tick(t)) {
        const count = (perDevice.get(publication.topic) ?? 0) + 1;
        perDevice.set(publication.topic, count);
        if (count > largest) largest = count;
      }
    }
    expect(largest).toBeGreaterThanOrEqual(10);
  });
});
