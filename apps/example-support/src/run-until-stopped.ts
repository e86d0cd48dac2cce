import { formatDuration, type StreamingContext } from '@dstream/core';
import type { AppConsole } from './app-console.js';

/** Something that feeds the stream while the application runs, such as a simulator. */
export interface StoppableSource {
  stop(): Promise<void>;
}

/** Settings of {@link runUntilStopped}. */
export interface RunUntilStoppedOptions {
  /** Milliseconds after which the run stops by itself; `undefined` runs until Ctrl-C. */
  readonly duration: number | undefined;
  readonly io: AppConsole;
  /** Printed on Ctrl-C (SIGINT) or SIGTERM, while the context stops gracefully. */
  readonly stoppingMessage: string;
  /** Starts what feeds the stream once the context started; it is stopped first when the time is up. */
  readonly startSource?: () => StoppableSource | undefined | Promise<StoppableSource | undefined>;
}

/**
 * Starts `ssc` and waits until it terminates: after `duration` (the source stops, then the
 * context stops gracefully) or on Ctrl-C (the context was created with
 * `stopGracefullyOnShutdown`). Returns the error that stopped the context, if one did, after
 * printing it and stopping the context; stopping the source for good is the caller's.
 */
export async function runUntilStopped(
  ssc: StreamingContext,
  options: RunUntilStoppedOptions,
): Promise<unknown> {
  const { duration, io } = options;
  const onSignal = (): void => io.out(options.stoppingMessage);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let timer: NodeJS.Timeout | undefined;
  try {
    ssc.start();
    const source = await options.startSource?.();
    if (duration !== undefined) {
      timer = setTimeout(() => {
        io.out(`${formatDuration(duration)} passed: stopping gracefully`);
        void (async () => {
          await source?.stop();
          await ssc.stop({ graceful: true });
        })();
      }, duration);
    }
    try {
      await ssc.awaitTermination();
      return undefined;
    } catch (failure) {
      io.err(`[error] ${failure instanceof Error ? failure.message : String(failure)}`);
      await ssc.stop();
      return failure;
    }
  } finally {
    clearTimeout(timer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The last line of an application's banner: how the run will stop. */
export function stopHint(duration: number | undefined): string {
  return duration === undefined
    ? 'Press Ctrl-C to stop.'
    : `Stopping after ${formatDuration(duration)} (or Ctrl-C).`;
}
