import {
  ManualClock,
  StreamingContext,
  type AckMode,
  type Receiver,
  type StreamingListener,
} from '@dstream/core';
import type { ReceiverHarness } from './receiver-harness.js';
import type { ResolvedReceiverSettings } from './receiver-settings.js';

/** One call of a lifecycle method of the receiver under test, as the suite saw it. */
export interface LifecycleCall {
  readonly method: 'onStart' | 'onStop';
  /** Milliseconds the call took until it returned (not until a returned promise settled). */
  readonly duration: number;
  /** Whether the call returned a promise or another thenable. */
  readonly returnedPromise: boolean;
  /** When it returned a promise: whether that promise has settled. */
  settled: boolean;
  /** What the call threw, or what its promise rejected with. */
  error?: unknown;
  /** For `onStart`: how many earlier `onStop` calls had not settled yet when it was called. */
  readonly unsettledStops: number;
}

/** How a {@link ReceiverRun} runs its context. */
export interface ReceiverRunOptions {
  readonly ackOn: AckMode;
  /** A manual clock: no block is cut and no batch runs until the context stops gracefully. */
  readonly manualClock?: boolean;
  /** The receiver stream's `maxRate`. */
  readonly maxRate?: number;
}

/**
 * A receiver from the harness running in a real StreamingContext, instrumented: the ids it
 * hands to the engine (`store`, `storeBlock`), the ids of the batches whose output succeeded or
 * was made to fail, the calls of its lifecycle methods, and the errors it reported.
 */
export class ReceiverRun<T> {
  /** Ids in the order the receiver handed them to the engine. */
  readonly handed: number[] = [];
  /** Ids of the batches whose output succeeded, in batch order. */
  readonly processed: number[] = [];
  /** Ids of the batches whose output the case made fail. */
  readonly failed: number[] = [];
  /** Every call of `onStart` and `onStop`, in order. */
  readonly calls: LifecycleCall[] = [];
  /** Errors the receiver reported or that made it restart, as listeners saw them. */
  readonly receiverErrors: unknown[] = [];
  /** Receiver events posted to listeners, in order. */
  readonly receiverEvents: ('started' | 'stopped' | 'error')[] = [];
  /** Errors of the output (an id that could not be read from a record). */
  readonly outputErrors: unknown[] = [];
  /** While true, every non-empty batch fails, so nothing in it is acknowledged as processed. */
  failOutputs = false;
  private gate: { promise: Promise<void>; open: () => void } | undefined;

  private constructor(
    readonly harness: ReceiverHarness<T>,
    readonly receiver: Receiver<T>,
    readonly ssc: StreamingContext,
  ) {}

  /** Creates the receiver through the harness and defines its stream on a new context. */
  static async create<T>(
    harness: ReceiverHarness<T>,
    settings: ResolvedReceiverSettings,
    options: ReceiverRunOptions,
  ): Promise<ReceiverRun<T>> {
    const receiver = await harness.createReceiver({ ackOn: options.ackOn });
    checkReceiver(harness, receiver, options.ackOn);
    const ssc = new StreamingContext({
      batchInterval: settings.batchInterval,
      blockInterval: settings.blockInterval,
      receiverRestartDelay: settings.restartDelay,
      gracefulStopTimeout: settings.deliveryTimeout,
      logger: settings.logger,
      ...(options.manualClock === true ? { clock: new ManualClock(Date.now()) } : {}),
    });
    const run = new ReceiverRun(harness, receiver, ssc);
    run.instrument();
    const stream = ssc.receiverStream(
      receiver,
      options.maxRate === undefined ? {} : { maxRate: options.maxRate },
    );
    stream.foreachBatch((batch) => run.output(batch.collect()), 'conformance');
    ssc.addListener(run.listener());
    return run;
  }

  /** The records handed to the engine so far. */
  get handedCount(): number {
    return this.handed.length;
  }

  /** Starts the context (and so the receiver). */
  start(): void {
    this.ssc.start();
  }

  /** Waits until the source delivers to the receiver (the harness's `whenReady`). */
  async whenReady(): Promise<void> {
    await this.harness.whenReady?.(this.receiver);
  }

  /** Holds every batch with records in its output until {@link openGate}. */
  closeGate(): void {
    if (this.gate !== undefined) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gate = { promise, open };
  }

  /** Lets held batches complete. */
  openGate(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }

  /** Stops the context (default: at once), letting held batches go first. */
  async stop(graceful = false): Promise<void> {
    this.openGate();
    await this.ssc.stop({ graceful, timeout: this.ssc.options.gracefulStopTimeout });
  }

  /** The `onStart` calls so far. */
  startCalls(): LifecycleCall[] {
    return this.calls.filter((call) => call.method === 'onStart');
  }

  /** A short account of the run for failure messages. */
  describe(): string {
    const errors = this.receiverErrors
      .slice(-3)
      .map((error) => (error instanceof Error ? error.message : String(error)));
    const parts = [
      `handed to the engine: ${this.handed.length}`,
      `processed: ${this.processed.length}`,
      `in failed batches: ${this.failed.length}`,
      `onStart calls: ${this.startCalls().length}`,
    ];
    if (errors.length > 0) parts.push(`last receiver errors: ${errors.join(' | ')}`);
    if (this.outputErrors.length > 0)
      parts.push(`output error: ${messageOf(this.outputErrors[0])}`);
    return parts.join('; ');
  }

  private async output(records: readonly T[]): Promise<void> {
    if (records.length === 0) return;
    const ids: number[] = [];
    try {
      for (const record of records) ids.push(this.harness.idOf(record));
    } catch (error) {
      this.outputErrors.push(error);
      throw error;
    }
    if (this.gate !== undefined) await this.gate.promise;
    if (this.failOutputs) {
      for (const id of ids) this.failed.push(id);
      throw new Error('conformance: this batch fails on purpose, so that it is never acknowledged');
    }
    for (const id of ids) this.processed.push(id);
  }

  private instrument(): void {
    const receiver = this.receiver;
    const idOf = (record: T): number => this.harness.idOf(record);
    const handed = this.handed;
    const store = receiver.store.bind(receiver);
    const storeBlock = receiver.storeBlock.bind(receiver);
    receiver.store = (record, ackToken) => {
      handed.push(idOf(record));
      return store(record, ackToken);
    };
    receiver.storeBlock = (records, metadata, ackTokens) => {
      for (const record of records) handed.push(idOf(record));
      return storeBlock(records, metadata, ackTokens);
    };
    const onStart = receiver.onStart.bind(receiver);
    const onStop = receiver.onStop.bind(receiver);
    receiver.onStart = () => this.trackCall('onStart', onStart);
    receiver.onStop = () => this.trackCall('onStop', onStop);
  }

  private trackCall<R>(method: LifecycleCall['method'], call: () => R): R {
    const started = performance.now();
    const unsettledStops =
      method === 'onStart'
        ? this.calls.filter((earlier) => earlier.method === 'onStop' && !earlier.settled).length
        : 0;
    const record: LifecycleCall = {
      method,
      duration: 0,
      returnedPromise: false,
      settled: true,
      unsettledStops,
    };
    this.calls.push(record);
    let result: R;
    try {
      result = call();
    } catch (error) {
      (record as { duration: number }).duration = performance.now() - started;
      record.error = error;
      throw error;
    }
    (record as { duration: number }).duration = performance.now() - started;
    if (isThenable(result)) {
      (record as { returnedPromise: boolean }).returnedPromise = true;
      record.settled = false;
      result.then(
        () => {
          record.settled = true;
        },
        (error: unknown) => {
          record.settled = true;
          record.error = error;
        },
      );
    }
    return result;
  }

  private listener(): StreamingListener {
    return {
      onReceiverStarted: () => {
        this.receiverEvents.push('started');
      },
      onReceiverStopped: () => {
        this.receiverEvents.push('stopped');
      },
      onReceiverError: ({ receiverInfo }) => {
        this.receiverEvents.push('error');
        this.receiverErrors.push(receiverInfo.lastError);
      },
    };
  }
}

function checkReceiver<T>(
  harness: ReceiverHarness<T>,
  receiver: Receiver<T>,
  ackOn: AckMode,
): void {
  const declared = receiver.capabilities;
  const expected = harness.capabilities;
  for (const key of ['reliable', 'replayable', 'ordered'] as const) {
    if (declared?.[key] !== expected[key]) {
      throw new Error(
        `The receiver declares capabilities ${JSON.stringify(declared)} but the harness of ${harness.name} says ${JSON.stringify(expected)}; they must agree`,
      );
    }
  }
  if (receiver.ackOn !== ackOn) {
    throw new Error(
      `The harness of ${harness.name} created a receiver with ackOn '${receiver.ackOn}' when asked for '${ackOn}'`,
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The message of an error, or its string form. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
