import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, ManualClock, StreamingContext } from '@dstream/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceEvent, DeviceState } from '../src/device-tracking.js';
import type { DeviceWindow } from '../src/device-window.js';
import { buildSensorPipeline, type SensorPipelineSettings } from '../src/sensor-pipeline.js';
import type { SensorReading } from '../src/sensor-reading.js';

const thresholds = { temperatureHigh: 40, temperatureClear: 37, batteryLow: 15, batteryClear: 20 };

let checkpointDir: string;
let ssc: StreamingContext | undefined;
const clock = { current: new ManualClock() };

beforeEach(async () => {
  checkpointDir = await mkdtemp(join(tmpdir(), 'iot-pipeline-'));
  clock.current = new ManualClock();
});

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await rm(checkpointDir, { recursive: true, force: true });
});

function reading(
  device: string,
  ts: number,
  temperature: number,
  battery = 50,
  humidity = 40,
): SensorReading {
  return { device, ts, temperature, battery, humidity };
}

/** Runs the pipeline over one array of readings per batch of 1 s, plus `extraBatches` empty ones. */
async function run(
  batches: SensorReading[][],
  settings: Partial<SensorPipelineSettings>,
  extraBatches = 0,
): Promise<{
  windows: Map<number, Record<string, DeviceWindow>>;
  events: Map<number, DeviceEvent[]>;
  devices: Map<number, Record<string, DeviceState>>;
}> {
  ssc = new StreamingContext({ batchInterval: 1000, clock: clock.current, checkpointDir });
  const pipeline = buildSensorPipeline(ssc.queueStream([...batches]), {
    window: 1000,
    slide: 1000,
    offlineAfter: 10_000,
    thresholds,
    ...settings,
  });
  const windows = new Map<number, Record<string, DeviceWindow>>();
  const events = new Map<number, DeviceEvent[]>();
  const devices = new Map<number, Record<string, DeviceState>>();
  pipeline.windows.foreachBatch((batch, time) => {
    windows.set(time, Object.fromEntries(batch.collect()));
  });
  pipeline.events.foreachBatch((batch, time) => {
    const list = batch.collect();
    if (list.length > 0) events.set(time, sortEvents(list));
  });
  pipeline.devices.foreachBatch((batch, time) => {
    devices.set(time, Object.fromEntries(batch.collect()));
  });
  ssc.start();
  clock.current.advance((batches.length + extraBatches) * 1000);
  await ssc.awaitIdle();
  return { windows, events, devices };
}

function sortEvents(events: DeviceEvent[]): DeviceEvent[] {
  return events.sort((a, b) =>
    a.device === b.device ? (a.type < b.type ? 1 : -1) : a.device < b.device ? -1 : 1,
  );
}

function alertsOf(events: Map<number, DeviceEvent[]>): unknown[] {
  const out: unknown[] = [];
  for (const [time, list] of events) {
    for (const event of list) {
      if (event.type !== 'alert') continue;
      out.push({
        time,
        device: event.device,
        alert: event.alert,
        status: event.status,
        value: event.value,
        threshold: event.threshold,
      });
    }
  }
  return out;
}

describe('sliding-window averages', () => {
  it('averages each device over the last window, every slide, with its latest reading time', async () => {
    const { windows } = await run(
      [
        [reading('a', 100, 20, 60, 40), reading('a', 900, 22, 58, 42), reading('b', 500, 10)],
        [reading('a', 1500, 24, 56, 44)],
        [reading('a', 2500, 26, 54, 46)],
        [reading('a', 3500, 30, 52, 48)],
        [],
      ],
      { window: 3000, offlineAfter: 10_000 },
      2,
    );
    const a = (time: number): DeviceWindow | undefined => windows.get(time)?.a;
    expect(a(1000)).toEqual({
      readings: 2,
      temperature: 21,
      humidity: 41,
      battery: 59,
      lastSeen: 900,
    });
    expect(a(2000)).toEqual({
      readings: 3,
      temperature: 22,
      humidity: 42,
      battery: 58,
      lastSeen: 1500,
    });
    expect(a(3000)).toEqual({
      readings: 4,
      temperature: 23,
      humidity: 43,
      battery: 57,
      lastSeen: 2500,
    });
    // The first batch has left the window.
    expect(a(4000)).toEqual({
      readings: 3,
      temperature: 26.67,
      humidity: 46,
      battery: 54,
      lastSeen: 3500,
    });
    expect(a(5000)).toEqual({
      readings: 2,
      temperature: 28,
      humidity: 47,
      battery: 53,
      lastSeen: 3500,
    });
    expect(a(6000)).toEqual({
      readings: 1,
      temperature: 30,
      humidity: 48,
      battery: 52,
      lastSeen: 3500,
    });
    // No reading of a in the window: no average.
    expect(a(7000)).toBeUndefined();
    expect(windows.get(3000)?.b).toEqual({
      readings: 1,
      temperature: 10,
      humidity: 40,
      battery: 50,
      lastSeen: 500,
    });
    expect(windows.get(4000)?.b).toBeUndefined();
  });

  it('slides by the given slide, a multiple of the batch interval', async () => {
    const { windows } = await run(
      [
        [reading('a', 100, 20)],
        [reading('a', 1100, 30)],
        [reading('a', 2100, 40)],
        [reading('a', 3100, 50)],
      ],
      { window: 2000, slide: 2000, offlineAfter: 10_000 },
    );
    expect([...windows.keys()]).toEqual([2000, 4000]);
    expect(windows.get(2000)?.a.temperature).toBe(25);
    expect(windows.get(4000)?.a.temperature).toBe(45);
  });
});

describe('alerts with hysteresis', () => {
  it('raises a temperature alert above the high threshold and clears it only below the clear threshold', async () => {
    const temperatures = [38, 41, 39, 40.5, 36.9, 38, 40.1];
    const { events } = await run(
      temperatures.map((temperature, i) => [reading('b', i * 1000 + 500, temperature)]),
      {},
    );
    expect(alertsOf(events)).toEqual([
      {
        time: 2000,
        device: 'b',
        alert: 'temperature-high',
        status: 'raised',
        value: 41,
        threshold: 40,
      },
      // 39 and 40.5 are inside the band: the alert stays, nothing is emitted.
      {
        time: 5000,
        device: 'b',
        alert: 'temperature-high',
        status: 'cleared',
        value: 36.9,
        threshold: 37,
      },
      // 38 is inside the band: no new alert until the average is above 40 again.
      {
        time: 7000,
        device: 'b',
        alert: 'temperature-high',
        status: 'raised',
        value: 40.1,
        threshold: 40,
      },
    ]);
  });

  it('raises a battery alert below the low threshold and clears it only above the clear threshold', async () => {
    const charges = [16, 14, 18, 19.9, 21, 16, 14.5];
    const { events, devices } = await run(
      charges.map((battery, i) => [reading('c', i * 1000 + 500, 20, battery)]),
      {},
    );
    expect(alertsOf(events)).toEqual([
      { time: 2000, device: 'c', alert: 'battery-low', status: 'raised', value: 14, threshold: 15 },
      {
        time: 5000,
        device: 'c',
        alert: 'battery-low',
        status: 'cleared',
        value: 21,
        threshold: 20,
      },
      {
        time: 7000,
        device: 'c',
        alert: 'battery-low',
        status: 'raised',
        value: 14.5,
        threshold: 15,
      },
    ]);
    expect(devices.get(4000)?.c).toMatchObject({ batteryAlert: true, battery: 19.9 });
    expect(devices.get(5000)?.c).toMatchObject({ batteryAlert: false, battery: 21 });
  });

  it('judges the window average, not single readings', async () => {
    const { events } = await run(
      [
        [reading('d', 100, 30), reading('d', 600, 45)], // average 37.5: no alert
        [reading('d', 1100, 44), reading('d', 1600, 50)], // window of 2 s: 42.25
      ],
      { window: 2000, offlineAfter: 10_000 },
    );
    expect(alertsOf(events)).toEqual([
      {
        time: 2000,
        device: 'd',
        alert: 'temperature-high',
        status: 'raised',
        value: 42.25,
        threshold: 40,
      },
    ]);
  });
});

describe('device tracking', () => {
  it('says when a device comes online and keeps its last-seen time and latest averages', async () => {
    const { events, devices } = await run(
      [[reading('e', 400, 21, 80, 30)], [reading('e', 1300, 23, 79, 32), reading('f', 1200, 25)]],
      {},
    );
    expect(events.get(1000)).toEqual([{ type: 'online', time: 1000, device: 'e', lastSeen: 400 }]);
    expect(events.get(2000)).toEqual([{ type: 'online', time: 2000, device: 'f', lastSeen: 1200 }]);
    expect(devices.get(2000)).toEqual({
      e: {
        firstSeen: 1000,
        lastSeen: 1300,
        temperature: 23,
        humidity: 32,
        battery: 79,
        temperatureAlert: false,
        batteryAlert: false,
      },
      f: {
        firstSeen: 2000,
        lastSeen: 1200,
        temperature: 25,
        humidity: 40,
        battery: 50,
        temperatureAlert: false,
        batteryAlert: false,
      },
    });
  });

  it('declares a device offline about offlineAfter after its last reading, then forgets it', async () => {
    // Window 1 s, offline after 3 s: the state times out 2 s after the last window holding the device.
    const { events, devices } = await run(
      [
        [reading('g', 500, 20), reading('h', 500, 20)],
        [reading('g', 1900, 20), reading('h', 1500, 20)],
        [reading('h', 2500, 20)],
        [reading('h', 3500, 20)],
        [reading('h', 4500, 20)],
        [reading('h', 5500, 20)],
        [reading('h', 6500, 20)],
        [reading('g', 7200, 42), reading('h', 7500, 20)],
      ],
      { window: 1000, offlineAfter: 3000 },
    );
    expect(events.get(5000)).toEqual([
      {
        type: 'alert',
        time: 5000,
        device: 'g',
        alert: 'offline',
        status: 'raised',
        lastSeen: 1900,
      },
    ]);
    expect(Object.keys(devices.get(4000) ?? {}).sort()).toEqual(['g', 'h']);
    expect(Object.keys(devices.get(5000) ?? {})).toEqual(['h']);
    // Back: a device without state, online again (and its alerts start afresh).
    expect(events.get(8000)).toEqual([
      { type: 'online', time: 8000, device: 'g', lastSeen: 7200 },
      {
        type: 'alert',
        time: 8000,
        device: 'g',
        alert: 'temperature-high',
        status: 'raised',
        value: 42,
        threshold: 40,
        lastSeen: 7200,
      },
    ]);
    expect(devices.get(8000)?.g.firstSeen).toBe(8000);
    // h never went silent long enough.
    expect(
      [...events.values()].flat().filter((event) => event.device === 'h' && event.type === 'alert'),
    ).toEqual([]);
  });

  it('rejects settings without room for the window or the hysteresis band', () => {
    ssc = new StreamingContext({ batchInterval: 1000, clock: clock.current, checkpointDir });
    const readings = ssc.queueStream<SensorReading>([]);
    const base = { window: 10_000, slide: 1000, offlineAfter: 20_000, thresholds };
    expect(() => buildSensorPipeline(readings, { ...base, offlineAfter: 10_000 })).toThrow(
      ConfigurationError,
    );
    expect(() => buildSensorPipeline(readings, { ...base, offlineAfter: 10_000 })).toThrow(
      /offlineAfter: 10000; must be longer than the window \(10 s\)/,
    );
    expect(() =>
      buildSensorPipeline(readings, {
        ...base,
        thresholds: { ...thresholds, temperatureClear: 40 },
      }),
    ).toThrow(/temperatureClear: 40; must be below temperatureHigh/);
    expect(() =>
      buildSensorPipeline(readings, { ...base, thresholds: { ...thresholds, batteryClear: 15 } }),
    ).toThrow(/batteryClear: 15; must be above batteryLow/);
  });
});
