import type { BatchInfo } from '@dstream/core';
import {
  BatchTimings,
  formatProcessing,
  formatRanFor,
  formatStatusLine as formatBatchLine,
  Increments,
  type BatchOutcome,
  type TimingSummary,
} from '@dstream/example-support';
import type { AlertKind, DeviceEvent, DeviceState } from './device-tracking.js';

/** What one batch did, as its status line shows it. */
export interface BatchFigures extends BatchOutcome {
  /** Readings in the batch. */
  readonly records: number;
  /** Devices tracked (online) after the batch. */
  readonly devices: number;
  /** Active temperature and battery alerts after the batch. */
  readonly activeAlerts: number;
  /** Alerts raised and cleared in the batch. */
  readonly raised: number;
  readonly cleared: number;
  /** Devices offline after the batch (gone silent and not back). */
  readonly offline: number;
  /** Malformed messages since the previous status line. */
  readonly malformed: number;
}

/** What a whole run did, as the summary shows it. */
export interface RunSummary extends TimingSummary {
  readonly records: number;
  readonly malformed: number;
  readonly devicesSeen: number;
  readonly devicesAtEnd: number;
  readonly wentOffline: number;
  readonly offlineAtEnd: number;
  readonly activeAlertsAtEnd: number;
  readonly alerts: Readonly<
    Record<AlertKind, { readonly raised: number; readonly cleared: number }>
  >;
}

interface PendingFigures {
  raised: number;
  cleared: number;
}

/**
 * Adds up what the output operations and the listener report, batch by batch: the output
 * operations record the events and device states of a batch while it runs, and the listener
 * completes the batch with the engine's figures (records, delays) once all its outputs are done.
 */
export class RunStatistics {
  private readonly pending = new Map<number, PendingFigures>();
  private readonly seen = new Set<string>();
  private readonly offline = new Set<string>();
  private readonly alerts: Record<AlertKind, { raised: number; cleared: number }> = {
    'temperature-high': { raised: 0, cleared: 0 },
    'battery-low': { raised: 0, cleared: 0 },
    offline: { raised: 0, cleared: 0 },
  };
  private readonly timings = new BatchTimings();
  private readonly malformedIncrements = new Increments();
  private devices = 0;
  private activeAlerts = 0;
  private records = 0;
  private wentOffline = 0;

  /** The events of the batch at `time` (an output operation calls it). */
  recordEvents(time: number, events: readonly DeviceEvent[]): void {
    const figures = this.figuresOf(time);
    for (const event of events) {
      if (event.type === 'online') {
        this.seen.add(event.device);
        this.offline.delete(event.device);
        continue;
      }
      this.alerts[event.alert][event.status]++;
      if (event.alert === 'offline') {
        this.offline.add(event.device);
        this.wentOffline++;
      } else if (event.status === 'raised') {
        figures.raised++;
      } else {
        figures.cleared++;
      }
    }
  }

  /** The state of every tracked device after the batch at `time` (an output operation calls it). */
  recordDevices(_time: number, devices: readonly (readonly [string, DeviceState])[]): void {
    let active = 0;
    for (const [, state] of devices) {
      if (state.temperatureAlert) active++;
      if (state.batteryAlert) active++;
    }
    this.devices = devices.length;
    this.activeAlerts = active;
  }

  /** Completes a batch once the engine reports it done; `malformed` is the running total. */
  completeBatch(info: BatchInfo, malformed: number): BatchFigures {
    const time = info.batchTime;
    const figures = this.pending.get(time) ?? { raised: 0, cleared: 0 };
    this.pending.delete(time);
    this.records += info.numRecords;
    return {
      ...this.timings.complete(info),
      records: info.numRecords,
      devices: this.devices,
      activeAlerts: this.activeAlerts,
      raised: figures.raised,
      cleared: figures.cleared,
      offline: this.offline.size,
      malformed: this.malformedIncrements.since(malformed),
    };
  }

  /** The run so far; `malformed` is the total count of malformed messages. */
  summary(malformed: number): RunSummary {
    return {
      ...this.timings.summary(),
      records: this.records,
      malformed,
      devicesSeen: this.seen.size,
      devicesAtEnd: this.devices,
      wentOffline: this.wentOffline,
      offlineAtEnd: this.offline.size,
      activeAlertsAtEnd: this.activeAlerts,
      alerts: structuredClone(this.alerts),
    };
  }

  private figuresOf(time: number): PendingFigures {
    let figures = this.pending.get(time);
    if (figures === undefined) {
      figures = { raised: 0, cleared: 0 };
      this.pending.set(time, figures);
    }
    return figures;
  }
}

/**
 * The status line of a batch, such as
 * `12:00:05 batch 17 records 312 devices 298 alerts 3 (+1 -0) offline 1 malformed 2 processing 12 ms delay 1 ms`.
 */
export function formatStatusLine(figures: BatchFigures): string {
  return formatBatchLine(
    figures,
    `records ${figures.records} devices ${figures.devices} alerts ${figures.activeAlerts}` +
      ` (+${figures.raised} -${figures.cleared}) offline ${figures.offline} malformed ${figures.malformed}`,
  );
}

/** The summary printed when the application stops. */
export function formatSummary(
  summary: RunSummary,
  elapsed: number,
  outputDir: string,
  alertDirectories: number,
): string {
  const { alerts } = summary;
  const malformedShare =
    summary.records + summary.malformed === 0
      ? 0
      : (100 * summary.malformed) / (summary.records + summary.malformed);
  return [
    'Summary',
    formatRanFor(summary, elapsed),
    `  readings       ${summary.records} processed, ${summary.malformed} malformed (${malformedShare.toFixed(2)} %)`,
    `  devices        ${summary.devicesSeen} seen, ${summary.devicesAtEnd} online at the end, ${summary.offlineAtEnd} offline (${summary.wentOffline} times a device went offline)`,
    `  alerts         temperature-high ${alerts['temperature-high'].raised} raised / ${alerts['temperature-high'].cleared} cleared, battery-low ${alerts['battery-low'].raised} raised / ${alerts['battery-low'].cleared} cleared, offline ${alerts.offline.raised}`,
    `  active alerts  ${summary.activeAlertsAtEnd} at the end`,
    formatProcessing(summary),
    `  output         ${outputDir} (${alertDirectories} alert ${alertDirectories === 1 ? 'directory' : 'directories'}, malformed.jsonl)`,
  ].join('\n');
}
