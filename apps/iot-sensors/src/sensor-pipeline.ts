import { ConfigurationError, formatDuration, type DStream, type Duration } from '@dstream/core';
import {
  deviceTrackingSpec,
  type AlertEvent,
  type AlertThresholds,
  type DeviceEvent,
  type DeviceState,
} from './device-tracking.js';
import {
  averagesOf,
  mergeTotals,
  totalsOf,
  type DeviceWindow,
  type ReadingTotals,
} from './device-window.js';
import type { SensorReading } from './sensor-reading.js';

/** The shape of the pipeline. */
export interface SensorPipelineSettings {
  /** Length of the sliding window the averages are taken over. */
  readonly window: Duration;
  /** How often the window slides: a multiple of the batch interval that divides the window. */
  readonly slide: Duration;
  /** A device that sent nothing for this long is declared offline; longer than the window. */
  readonly offlineAfter: Duration;
  /** Alert thresholds and their hysteresis bands. */
  readonly thresholds: AlertThresholds;
}

/** The streams of the pipeline, for output operations to attach to. */
export interface SensorPipeline {
  /** `[device, averages]` over the last window, every slide. */
  readonly windows: DStream<[string, DeviceWindow]>;
  /** Everything the device tracking emits: devices coming online, alerts raised and cleared. */
  readonly events: DStream<DeviceEvent>;
  /** The alerts alone. */
  readonly alerts: DStream<AlertEvent>;
  /** `[device, state]` of every tracked device after each slide. */
  readonly devices: DStream<[string, DeviceState]>;
}

/**
 * Defines the processing of sensor readings:
 *
 * 1. per-device averages of temperature, humidity and battery over a sliding window
 *    (`reduceByKey` per batch, then `reduceByKeyAndWindow`; the totals also carry each
 *    device's latest reading time, which is why the window is recomputed rather than
 *    maintained incrementally: a maximum has no inverse);
 * 2. per-device state with `mapWithState` over those averages: last seen, alert state with
 *    hysteresis, and a timeout that declares a device offline.
 *
 * A device leaves the window output once the window holds none of its readings, so the
 * state's timeout is `offlineAfter`: a device is declared offline about `offlineAfter`
 * after its last reading. Needs a checkpoint directory on the context (state).
 */
export function buildSensorPipeline(
  readings: DStream<SensorReading>,
  settings: SensorPipelineSettings,
): SensorPipeline {
  const { window, slide, offlineAfter, thresholds } = settings;
  if (!(offlineAfter > window)) {
    throw new ConfigurationError(
      'offlineAfter',
      offlineAfter,
      `must be longer than the window (${formatDuration(window)}): a device is in the window's output until the window holds none of its readings`,
    );
  }
  if (!(thresholds.temperatureClear < thresholds.temperatureHigh)) {
    throw new ConfigurationError(
      'temperatureClear',
      thresholds.temperatureClear,
      `must be below temperatureHigh (${thresholds.temperatureHigh}) for the hysteresis band`,
    );
  }
  if (!(thresholds.batteryClear > thresholds.batteryLow)) {
    throw new ConfigurationError(
      'batteryClear',
      thresholds.batteryClear,
      `must be above batteryLow (${thresholds.batteryLow}) for the hysteresis band`,
    );
  }
  const windows = readings
    .map((reading): [string, ReadingTotals] => [reading.device, totalsOf(reading)])
    // Each batch reduced first, so the window combines one value per device and batch.
    .reduceByKey(mergeTotals)
    .reduceByKeyAndWindow(mergeTotals, window, slide)
    .mapValues(averagesOf);
  const tracked = windows.mapWithState(deviceTrackingSpec(thresholds, offlineAfter - window));
  const events = tracked.flatMap(identity);
  const alerts = events.filter(isAlert);
  return { windows, events, alerts, devices: tracked.stateSnapshots() };
}

function identity<T>(value: T): T {
  return value;
}

function isAlert(event: DeviceEvent): event is AlertEvent {
  return event.type === 'alert';
}
