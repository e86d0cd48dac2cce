import { StateSpec, type MappingFunction, type State } from '@dstream/core';
import type { DeviceWindow } from './device-window.js';

/** The thresholds of the alerts, each with a hysteresis band. */
export interface AlertThresholds {
  /** A temperature alert is raised when the window average rises above this (°C). */
  readonly temperatureHigh: number;
  /** … and cleared only once it falls below this, lower value (°C). */
  readonly temperatureClear: number;
  /** A battery alert is raised when the window average falls below this (%). */
  readonly batteryLow: number;
  /** … and cleared only once it rises above this, higher value (%). */
  readonly batteryClear: number;
}

/** What the application remembers of each device between batches. */
export interface DeviceState {
  /** The batch time the device was first seen (or seen again after going offline). */
  readonly firstSeen: number;
  /** The timestamp of its latest reading. */
  readonly lastSeen: number;
  /** Its latest window averages. */
  readonly temperature: number;
  readonly humidity: number;
  readonly battery: number;
  /** Whether a temperature alert is active. */
  readonly temperatureAlert: boolean;
  /** Whether a battery alert is active. */
  readonly batteryAlert: boolean;
}

/** The kinds of alert. */
export type AlertKind = 'temperature-high' | 'battery-low' | 'offline';

/** An alert raised or cleared for a device: what the alert files hold. */
export interface AlertEvent {
  readonly type: 'alert';
  /** The batch time it happened at. */
  readonly time: number;
  readonly device: string;
  readonly alert: AlertKind;
  readonly status: 'raised' | 'cleared';
  /** The window average that crossed the threshold (temperature and battery alerts). */
  readonly value?: number;
  /** The threshold it crossed. */
  readonly threshold?: number;
  /** The timestamp of the device's latest reading. */
  readonly lastSeen: number;
}

/** A device without state received readings: new, or back after it went offline. */
export interface OnlineEvent {
  readonly type: 'online';
  readonly time: number;
  readonly device: string;
  readonly lastSeen: number;
}

/** What the device tracking emits. */
export type DeviceEvent = AlertEvent | OnlineEvent;

/**
 * The mapping function of the device tracking, for `mapWithState` keyed by device over the
 * window averages. For each device and window it:
 *
 * - emits `online` when the device has no state (first seen, or back after going offline);
 * - raises a temperature alert when the average goes above `temperatureHigh` and clears it only
 *   when it falls below `temperatureClear` — the hysteresis band keeps a noisy value hovering
 *   around one threshold from raising and clearing on every batch; the battery alert likewise,
 *   the other way round;
 * - keeps the device's last-seen time, latest averages and alert flags as its state.
 *
 * When a device's state times out (no window mentioned it for the spec's timeout), it emits an
 * `offline` alert; the state is then removed, so active alerts of that device end with it.
 */
export function trackDevice(
  thresholds: AlertThresholds,
): MappingFunction<string, DeviceWindow, DeviceState, DeviceEvent[] | undefined> {
  const { temperatureHigh, temperatureClear, batteryLow, batteryClear } = thresholds;
  return (
    device: string,
    window: DeviceWindow | undefined,
    state: State<DeviceState>,
    time: number,
  ) => {
    if (state.isTimingOut()) {
      const last = state.get();
      return [
        {
          type: 'alert',
          time,
          device,
          alert: 'offline',
          status: 'raised',
          lastSeen: last.lastSeen,
        },
      ];
    }
    if (window === undefined) return undefined;
    const previous = state.getOption();
    const lastSeen =
      previous !== undefined && previous.lastSeen > window.lastSeen
        ? previous.lastSeen
        : window.lastSeen;
    let events: DeviceEvent[] | undefined;
    if (previous === undefined) events = [{ type: 'online', time, device, lastSeen }];

    let temperatureAlert = previous?.temperatureAlert ?? false;
    if (!temperatureAlert && window.temperature > temperatureHigh) {
      temperatureAlert = true;
      (events ??= []).push(
        alert(
          time,
          device,
          'temperature-high',
          'raised',
          window.temperature,
          temperatureHigh,
          lastSeen,
        ),
      );
    } else if (temperatureAlert && window.temperature < temperatureClear) {
      temperatureAlert = false;
      (events ??= []).push(
        alert(
          time,
          device,
          'temperature-high',
          'cleared',
          window.temperature,
          temperatureClear,
          lastSeen,
        ),
      );
    }
    let batteryAlert = previous?.batteryAlert ?? false;
    if (!batteryAlert && window.battery < batteryLow) {
      batteryAlert = true;
      (events ??= []).push(
        alert(time, device, 'battery-low', 'raised', window.battery, batteryLow, lastSeen),
      );
    } else if (batteryAlert && window.battery > batteryClear) {
      batteryAlert = false;
      (events ??= []).push(
        alert(time, device, 'battery-low', 'cleared', window.battery, batteryClear, lastSeen),
      );
    }

    state.update({
      firstSeen: previous?.firstSeen ?? time,
      lastSeen,
      temperature: window.temperature,
      humidity: window.humidity,
      battery: window.battery,
      temperatureAlert,
      batteryAlert,
    });
    return events;
  };
}

function alert(
  time: number,
  device: string,
  kind: AlertKind,
  status: 'raised' | 'cleared',
  value: number,
  threshold: number,
  lastSeen: number,
): AlertEvent {
  return { type: 'alert', time, device, alert: kind, status, value, threshold, lastSeen };
}

/** The state spec of the device tracking: {@link trackDevice} with `timeout` as offline timeout. */
export function deviceTrackingSpec(
  thresholds: AlertThresholds,
  timeout: number,
): StateSpec<string, DeviceWindow, DeviceState, DeviceEvent[] | undefined> {
  return StateSpec.function(trackDevice(thresholds)).timeout(timeout);
}

/** An alert as one line of the alert files: times as ISO 8601 text. */
export interface AlertRecord {
  readonly time: string;
  readonly device: string;
  readonly alert: AlertKind;
  readonly status: 'raised' | 'cleared';
  readonly value?: number;
  readonly threshold?: number;
  readonly lastSeen: string;
}

/** The line of the alert files for an alert. */
export function alertRecord(event: AlertEvent): AlertRecord {
  return {
    time: new Date(event.time).toISOString(),
    device: event.device,
    alert: event.alert,
    status: event.status,
    ...(event.value === undefined ? {} : { value: event.value }),
    ...(event.threshold === undefined ? {} : { threshold: event.threshold }),
    lastSeen: new Date(event.lastSeen).toISOString(),
  };
}
