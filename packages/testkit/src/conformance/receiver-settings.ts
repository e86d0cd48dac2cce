import {
  ConfigurationError,
  requirePositiveInteger,
  requirePositiveNumber,
  silentLogger,
  type Logger,
} from '@dstream/core';
import type { ReceiverCaseId, ReceiverConformanceSettings } from './receiver-harness.js';

/** The receiver settings with defaults applied. */
export interface ResolvedReceiverSettings {
  readonly batchInterval: number;
  readonly blockInterval: number;
  readonly restartDelay: number;
  readonly deliveryTimeout: number;
  readonly records: number;
  readonly startTimeout: number;
  readonly backpressure: {
    readonly maxRate: number;
    readonly records: number;
    readonly duration: number;
    readonly allowance: number;
  };
  readonly logger: Logger;
  readonly exclude: Partial<Record<ReceiverCaseId, string>>;
}

/** Validates the settings of a receiver harness and fills in the defaults. */
export function resolveReceiverSettings(
  settings: ReceiverConformanceSettings = {},
): ResolvedReceiverSettings {
  if (settings === null || typeof settings !== 'object') {
    throw new ConfigurationError(
      'settings',
      settings,
      'expected an object of conformance settings',
    );
  }
  const batchInterval = requirePositiveInteger(
    'settings.batchInterval',
    settings.batchInterval ?? 200,
  );
  const blockInterval = requirePositiveInteger(
    'settings.blockInterval',
    settings.blockInterval ?? Math.min(50, batchInterval),
  );
  if (blockInterval > batchInterval) {
    throw new ConfigurationError(
      'settings.blockInterval',
      blockInterval,
      `must not exceed settings.batchInterval (${batchInterval} ms)`,
    );
  }
  const backpressure = settings.backpressure ?? {};
  return {
    batchInterval,
    blockInterval,
    restartDelay: requirePositiveInteger('settings.restartDelay', settings.restartDelay ?? 100),
    deliveryTimeout: requirePositiveInteger(
      'settings.deliveryTimeout',
      settings.deliveryTimeout ?? 15_000,
    ),
    records: requirePositiveInteger('settings.records', settings.records ?? 50),
    startTimeout: requirePositiveNumber('settings.startTimeout', settings.startTimeout ?? 250),
    backpressure: {
      maxRate: requirePositiveNumber('settings.backpressure.maxRate', backpressure.maxRate ?? 100),
      records: requirePositiveInteger(
        'settings.backpressure.records',
        backpressure.records ?? 2000,
      ),
      duration: requirePositiveInteger(
        'settings.backpressure.duration',
        backpressure.duration ?? 2000,
      ),
      allowance: requirePositiveInteger(
        'settings.backpressure.allowance',
        backpressure.allowance ?? 200,
      ),
    },
    logger: settings.logger ?? silentLogger,
    exclude: settings.exclude ?? {},
  };
}
