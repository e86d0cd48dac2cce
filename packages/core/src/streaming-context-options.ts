import {
  resolvePidRateEstimatorOptions,
  type PidRateEstimatorOptions,
  type ResolvedPidRateEstimatorOptions,
} from './scheduler/pid-rate-estimator.js';
import { SystemClock, type Clock } from './util/clock.js';
import { ConfigurationError } from './util/errors.js';
import type { Logger } from './util/logger.js';
import { stderrLogger } from './util/stderr-logger.js';
import {
  requireKnownOptions,
  requireNonEmptyString,
  requireNonNegativeInteger,
  requirePositiveInteger,
  requirePositiveNumber,
} from './util/validation.js';

/** Settings of a {@link StreamingContext}; only `batchInterval` is required. */
export interface StreamingContextOptions {
  /** Time between two batches, in milliseconds. */
  readonly batchInterval: number;
  /** Time between two blocks of a receiver, in milliseconds (default 200, or a fifth of a shorter batch interval; at most the batch interval). */
  readonly blockInterval?: number;
  /** Source of time: `SystemClock` (default) or a `ManualClock` in tests. */
  readonly clock?: Clock;
  /**
   * A pino-compatible logger (default: `stderrLogger()`, warnings and errors to stderr, one line
   * each); `silentLogger` silences the engine.
   */
  readonly logger?: Logger;
  /** Directory for checkpoints; required by stateful and incremental window operations. */
  readonly checkpointDir?: string;
  /** Partitions of wide transformations when not given (default 2). */
  readonly defaultParallelism?: number;
  /** Records per second each receiver may store unless its stream says otherwise (default: no limit). */
  readonly maxRate?: number;
  /** Records a receiver may buffer in one block interval before it is asked to slow down (default 100 000). */
  readonly maxBufferedRecords?: number;
  /** Blocks of one receiver being stored at once before it is asked to slow down (default 10). */
  readonly blockQueueSize?: number;
  /** Milliseconds before a failed receiver is restarted (default 2000). */
  readonly receiverRestartDelay?: number;
  /** Milliseconds a graceful stop may take (default 10 batch intervals). */
  readonly gracefulStopTimeout?: number;
  /** Installs SIGTERM and SIGINT handlers that stop the context gracefully (default false). */
  readonly stopGracefullyOnShutdown?: boolean;
  /**
   * Milliseconds between checkpoints, a multiple of the batch interval (default, by Spark's rule:
   * the smallest multiple of the batch interval of at least 10 seconds).
   */
  readonly checkpointInterval?: number;
  /** How many checkpoint files to keep (default 3). */
  readonly checkpointRetention?: number;
  /**
   * Writes received blocks to a write-ahead log in the checkpoint directory before reliable
   * receivers acknowledge them, so that nothing stored is lost on a crash (default false).
   */
  readonly writeAheadLog?: boolean | WriteAheadLogSettings;
  /**
   * Backpressure: adapts each input's rate, batch after batch, to what processing absorbs, so
   * scheduling delay stays bounded when input outruns processing (default false). Rates never
   * exceed a stream's `maxRate`.
   */
  readonly backpressure?: boolean;
  /**
   * Records per second each input starts with when backpressure is on, until the first estimate
   * (default: none, inputs start at their `maxRate`). Ignored without backpressure.
   */
  readonly initialRate?: number;
  /** Gains and floor of backpressure's PID rate estimator (default: Spark's 1.0, 0.2, 0, 100). */
  readonly backpressurePid?: PidRateEstimatorOptions;
}

/** Settings of the write-ahead log. */
export interface WriteAheadLogSettings {
  /** `'always'` (fsync every write, the default) or a group-commit interval in milliseconds. */
  readonly sync?: 'always' | number;
  /** Milliseconds after which a new segment file is started (default 60 000). */
  readonly rollInterval?: number;
}

/** The settings with defaults applied, validated. */
export interface ResolvedStreamingContextOptions {
  readonly batchInterval: number;
  readonly blockInterval: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly checkpointDir: string | undefined;
  readonly defaultParallelism: number;
  readonly maxRate: number;
  readonly maxBufferedRecords: number;
  readonly blockQueueSize: number;
  readonly receiverRestartDelay: number;
  readonly gracefulStopTimeout: number;
  readonly stopGracefullyOnShutdown: boolean;
  readonly checkpointInterval: number;
  readonly checkpointRetention: number;
  readonly writeAheadLog:
    { readonly sync: 'always' | number; readonly rollInterval: number } | undefined;
  readonly backpressure: boolean;
  readonly initialRate: number | undefined;
  readonly backpressurePid: ResolvedPidRateEstimatorOptions;
}

const KNOWN_OPTIONS = new Set([
  'batchInterval',
  'blockInterval',
  'clock',
  'logger',
  'checkpointDir',
  'defaultParallelism',
  'maxRate',
  'maxBufferedRecords',
  'blockQueueSize',
  'receiverRestartDelay',
  'gracefulStopTimeout',
  'stopGracefullyOnShutdown',
  'checkpointInterval',
  'checkpointRetention',
  'writeAheadLog',
  'backpressure',
  'initialRate',
  'backpressurePid',
]);

/** Validates `options` and fills in defaults; a bad value fails naming the option. */
export function resolveStreamingContextOptions(
  options: StreamingContextOptions,
): ResolvedStreamingContextOptions {
  requireKnownOptions(options, KNOWN_OPTIONS, 'StreamingContext');
  const batchInterval = requirePositiveInteger('batchInterval', options.batchInterval);
  const blockInterval = requirePositiveInteger(
    'blockInterval',
    options.blockInterval ?? Math.max(1, Math.min(200, Math.floor(batchInterval / 5))),
  );
  if (blockInterval > batchInterval) {
    throw new ConfigurationError(
      'blockInterval',
      blockInterval,
      `must not exceed batchInterval (${batchInterval} ms)`,
    );
  }
  const clock = options.clock ?? new SystemClock();
  if (typeof clock.now !== 'function' || typeof clock.schedule !== 'function') {
    throw new ConfigurationError('clock', clock, 'expected a Clock with now() and schedule()');
  }
  const checkpointInterval = requirePositiveInteger(
    'checkpointInterval',
    options.checkpointInterval ?? Math.ceil(10_000 / batchInterval) * batchInterval,
  );
  if (checkpointInterval % batchInterval !== 0) {
    throw new ConfigurationError(
      'checkpointInterval',
      checkpointInterval,
      `must be a multiple of batchInterval (${batchInterval} ms)`,
    );
  }
  if (options.backpressure !== undefined && typeof options.backpressure !== 'boolean') {
    throw new ConfigurationError('backpressure', options.backpressure, 'expected true or false');
  }
  return {
    batchInterval,
    checkpointInterval,
    backpressure: options.backpressure ?? false,
    initialRate:
      options.initialRate === undefined
        ? undefined
        : requirePositiveNumber('initialRate', options.initialRate),
    backpressurePid: resolvePidRateEstimatorOptions(options.backpressurePid, 'backpressurePid.'),
    checkpointRetention: requirePositiveInteger(
      'checkpointRetention',
      options.checkpointRetention ?? 3,
    ),
    writeAheadLog: resolveWriteAheadLog(options.writeAheadLog, options.checkpointDir),
    blockInterval,
    clock,
    logger: options.logger ?? stderrLogger(),
    checkpointDir:
      options.checkpointDir === undefined
        ? undefined
        : requireNonEmptyString('checkpointDir', options.checkpointDir),
    defaultParallelism: requirePositiveInteger(
      'defaultParallelism',
      options.defaultParallelism ?? 2,
    ),
    maxRate:
      options.maxRate === undefined ? Infinity : requirePositiveNumber('maxRate', options.maxRate),
    maxBufferedRecords: requirePositiveInteger(
      'maxBufferedRecords',
      options.maxBufferedRecords ?? 100_000,
    ),
    blockQueueSize: requirePositiveInteger('blockQueueSize', options.blockQueueSize ?? 10),
    receiverRestartDelay: requireNonNegativeInteger(
      'receiverRestartDelay',
      options.receiverRestartDelay ?? 2000,
    ),
    gracefulStopTimeout: requirePositiveInteger(
      'gracefulStopTimeout',
      options.gracefulStopTimeout ?? 10 * batchInterval,
    ),
    stopGracefullyOnShutdown: options.stopGracefullyOnShutdown ?? false,
  };
}

function resolveWriteAheadLog(
  setting: boolean | WriteAheadLogSettings | undefined,
  checkpointDir: string | undefined,
): ResolvedStreamingContextOptions['writeAheadLog'] {
  if (setting === undefined || setting === false) return undefined;
  if (setting !== true && (setting === null || typeof setting !== 'object')) {
    throw new ConfigurationError(
      'writeAheadLog',
      setting,
      'expected true, false or { sync, rollInterval }',
    );
  }
  if (checkpointDir === undefined) {
    throw new ConfigurationError(
      'writeAheadLog',
      setting,
      'the write-ahead log lives in the checkpoint directory: set checkpointDir too',
    );
  }
  const settings: WriteAheadLogSettings = setting === true ? {} : setting;
  const sync = settings.sync ?? 'always';
  if (sync !== 'always' && !(typeof sync === 'number' && Number.isInteger(sync) && sync > 0)) {
    throw new ConfigurationError(
      'writeAheadLog.sync',
      sync,
      "expected 'always' or a positive number of milliseconds",
    );
  }
  return {
    sync,
    rollInterval: requirePositiveInteger(
      'writeAheadLog.rollInterval',
      settings.rollInterval ?? 60_000,
    ),
  };
}
