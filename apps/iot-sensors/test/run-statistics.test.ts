import type { BatchInfo } from '@dstream/core';
import { describe, expect, it } from 'vitest';
import type { DeviceEvent, DeviceState } from '../src/device-tracking.js';
import { RunStatistics, formatStatusLine, formatSummary } from '../src/run-statistics.js';

function batchInfo(
  batchTime: number,
  numRecords: number,
  processingDelay: number,
  schedulingDelay: number,
  failureReason?: string,
): BatchInfo {
  return {
    batchTime,
    numRecords,
    processingDelay,
    schedulingDelay,
    submissionTime: batchTime,
    streamIdToInputInfo: new Map(),
    outputOperationInfos: new Map([
      [0, { batchTime, id: 0, name: 'to', description: '', failureReason }],
    ]),
  };
}

function state(temperatureAlert: boolean, batteryAlert: boolean): DeviceState {
  return {
    firstSeen: 0,
    lastSeen: 0,
    temperature: 20,
    humidity: 40,
    battery: 50,
    temperatureAlert,
    batteryAlert,
  };
}

describe('status lines', () => {
  it('show the batch, its records, devices, alerts, offline devices, malformed input and delays on one line', () => {
    const statistics = new RunStatistics();
    const time = new Date(2024, 0, 1, 12, 0, 5).getTime();
    const events: DeviceEvent[] = [
      { type: 'online', time, device: 'a', lastSeen: 0 },
      { type: 'online', time, device: 'b', lastSeen: 0 },
      { type: 'online', time, device: 'c', lastSeen: 0 },
      {
        type: 'alert',
        time,
        device: 'a',
        alert: 'temperature-high',
        status: 'raised',
        value: 41,
        threshold: 40,
        lastSeen: 0,
      },
      {
        type: 'alert',
        time,
        device: 'a',
        alert: 'battery-low',
        status: 'raised',
        value: 9,
        threshold: 15,
        lastSeen: 0,
      },
      { type: 'alert', time, device: 'd', alert: 'offline', status: 'raised', lastSeen: 0 },
    ];
    statistics.recordEvents(time, events);
    statistics.recordDevices(time, [
      ['a', state(true, true)],
      ['b', state(false, false)],
      ['c', state(false, false)],
    ]);
    const figures = statistics.completeBatch(batchInfo(time, 423, 12.4, 1), 2);
    expect(formatStatusLine(figures)).toBe(
      '12:00:05 batch 1 records 423 devices 3 alerts 2 (+2 -0) offline 1 malformed 2 processing 12 ms delay 1 ms',
    );

    // The next batch: one alert cleared, d back online, three more malformed messages.
    statistics.recordEvents(time + 1000, [
      {
        type: 'alert',
        time,
        device: 'a',
        alert: 'battery-low',
        status: 'cleared',
        value: 21,
        threshold: 20,
        lastSeen: 0,
      },
      { type: 'online', time, device: 'd', lastSeen: 0 },
    ]);
    statistics.recordDevices(time + 1000, [
      ['a', state(true, false)],
      ['b', state(false, false)],
      ['c', state(false, false)],
      ['d', state(false, false)],
    ]);
    expect(formatStatusLine(statistics.completeBatch(batchInfo(time + 1000, 300, 3, -40), 5))).toBe(
      '12:00:06 batch 2 records 300 devices 4 alerts 1 (+0 -1) offline 0 malformed 3 processing 3 ms delay 0 ms',
    );
    expect(
      formatStatusLine(statistics.completeBatch(batchInfo(time + 2000, 0, 1, 0, 'disk full'), 5)),
    ).toMatch(/ malformed 0 processing 1 ms delay 0 ms FAILED: disk full$/);

    const summary = statistics.summary(5);
    expect(summary).toEqual({
      batches: 3,
      failedBatches: 1,
      records: 723,
      malformed: 5,
      devicesSeen: 4,
      devicesAtEnd: 4,
      wentOffline: 1,
      offlineAtEnd: 0,
      activeAlertsAtEnd: 1,
      alerts: {
        'temperature-high': { raised: 1, cleared: 0 },
        'battery-low': { raised: 1, cleared: 1 },
        offline: { raised: 1, cleared: 0 },
      },
      meanProcessingDelay: (12.4 + 3 + 1) / 3,
      maxProcessingDelay: 12.4,
      maxSchedulingDelay: 1,
    });
    const text = formatSummary(summary, 3200, '/out', 1);
    expect(text).toContain('ran for        3.2 s, 3 batches (1 failed)');
    expect(text).toContain('readings       723 processed, 5 malformed (0.69 %)');
    expect(text).toContain('output         /out (1 alert directory, malformed.jsonl)');
  });
});
