import { Batch } from './batch/batch.js';
import { DStream } from './dstream/dstream.js';
import { DStreamGraph } from './dstream/dstream-graph.js';
import { InputComputation, type InputSource } from './dstream/input-dstream.js';
import { QueueInputSource } from './dstream/queue-input-dstream.js';
import { transformStreams, type BatchesOf } from './dstream/transformed-dstream.js';
import {
  ReceiverInputSource,
  type ReceiverStreamOptions,
} from './dstream/receiver-input-dstream.js';
import type { BatchInfo, ReceiverInfo, StreamInputInfo } from './listener/batch-info.js';
import { ListenerBus } from './listener/listener-bus.js';
import type { StreamingListener } from './listener/streaming-listener.js';
import { ACK_MODES } from './receiver/receiver-capabilities.js';
import { Receiver } from './receiver/receiver.js';
import { InputInfoTracker } from './scheduler/input-info-tracker.js';
import { JobGenerator } from './scheduler/job-generator.js';
import { JobScheduler } from './scheduler/job-scheduler.js';
import { ReceivedBlockTracker } from './scheduler/received-block-tracker.js';
import { RateController, type RateControlledStream } from './scheduler/rate-controller.js';
import { ReceiverTracker } from './scheduler/receiver-tracker.js';
import {
  resolveStreamingContextOptions,
  type ResolvedStreamingContextOptions,
  type StreamingContextOptions,
} from './streaming-context-options.js';
import { CheckpointManager } from './checkpoint/checkpoint-manager.js';
import type { Checkpoint } from './checkpoint/checkpoint.js';
import type { CheckpointStore } from './checkpoint/checkpoint-store.js';
import { LocalCheckpointStore } from './checkpoint/local-checkpoint-store.js';
import { ReceivedBlockLog } from './checkpoint/received-block-log.js';
import { WriteAheadLog } from './checkpoint/write-ahead-log.js';
import type { Block } from './receiver/block.js';
import type { Clock } from './util/clock.js';
import type { Duration } from './util/duration.js';
import { ConfigurationError, IllegalStateError } from './util/errors.js';
import type { Logger } from './util/logger.js';
import { requireNonEmptyString, requirePositiveInteger } from './util/validation.js';

/** The lifecycle of a context: defined, running, or stopped for good. */
export type StreamingContextState = 'initialized' | 'active' | 'stopped';

/** How to stop a context. */
export interface StopOptions {
  /**
   * Stop receivers, turn what they stored into final batches, process them, then stop
   * (default false: stop at once, abandoning batches not yet processed).
   */
  readonly graceful?: boolean;
  /** Milliseconds a graceful stop may take before it stops at once (default: the context's gracefulStopTimeout). */
  readonly timeout?: number;
}

let activeContext: StreamingContext | undefined;

/**
 * The entry point of a streaming program: holds the batch interval and the clock, creates input
 * streams, and runs the graph of streams defined on it. Define inputs, transformations and
 * output operations, then `start()`; a context runs once and cannot be restarted after `stop()`.
 * One context may be active per process.
 *
 * @example
 * ```ts
 * const ssc = new StreamingContext({ batchInterval: seconds(1) });
 * const lines = ssc.queueStream([['a b', 'b c']]);
 * lines.flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b).print();
 * ssc.start();
 * await ssc.awaitTermination(5000);
 * await ssc.stop();
 * ```
 */
export class StreamingContext {
  /** The settings in force, defaults applied. */
  readonly options: ResolvedStreamingContextOptions;
  /** The streams defined on this context. */
  readonly graph = new DStreamGraph();

  private stateValue: StreamingContextState = 'initialized';
  private checkpointDir: string | undefined;
  private readonly listenerBus: ListenerBus;
  private readonly inputInfoTracker = new InputInfoTracker();
  private readonly blockTracker = new ReceivedBlockTracker();
  private readonly receiverTracker: ReceiverTracker;
  private readonly jobScheduler: JobScheduler;
  private readonly jobGenerator: JobGenerator;
  private readonly stopHooks: (() => Promise<void> | void)[] = [];
  private readonly terminationWaiters: {
    resolve: (stopped: boolean) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private reportedError: unknown;
  private hasReportedError = false;
  private stopping: Promise<void> | undefined;
  private signalHandler: (() => void) | undefined;
  private checkpointStore: CheckpointStore | undefined;
  private checkpointManager: CheckpointManager | undefined;
  private blockLog: Promise<ReceivedBlockLog> | undefined;
  private recoveredCheckpoint: Checkpoint | undefined;
  private rateController: RateController | undefined;

  constructor(options: StreamingContextOptions) {
    this.options = resolveStreamingContextOptions(options);
    this.checkpointDir = this.options.checkpointDir;
    this.listenerBus = new ListenerBus(this.options.logger);
    this.receiverTracker = new ReceiverTracker(
      this.blockTracker,
      this.options.clock,
      this.listenerBus,
      this.options.logger,
      this.options.writeAheadLog === undefined ? undefined : (block) => this.logBlock(block),
    );
    this.jobScheduler = new JobScheduler(
      this.options.clock,
      this.listenerBus,
      (info, failed) => this.onBatchCompleted(info, failed),
      (error) => this.reportError(error),
    );
    this.jobGenerator = new JobGenerator(
      this.options.batchInterval,
      this.options.clock,
      this.graph,
      this.blockTracker,
      this.inputInfoTracker,
      this.jobScheduler,
      (error) => this.reportError(error),
      this.options.logger,
    );
    this.jobGenerator.onBatchTime = () => this.receiverTracker.flushBlocks();
    this.jobGenerator.onAllocated = (time) => this.logAllocation(time);
  }

  /**
   * Recovers a context from the checkpoint directory, or creates a new one. `create` builds the
   * context and its whole graph, exactly as on the first run (functions are never serialized).
   * With a checkpoint there, its graph must have the same shape: the state of stateful streams
   * and input sources is restored, and on `start()` the batches after the checkpoint run again
   * (those that were pending and those whose time passed while the process was down). With the
   * write-ahead log on, received blocks not yet covered by a checkpoint are recovered from it.
   */
  static async getOrCreate(
    checkpointDir: string,
    create: () => StreamingContext | Promise<StreamingContext>,
    options: { readonly store?: CheckpointStore } = {},
  ): Promise<StreamingContext> {
    requireNonEmptyString('checkpointDir', checkpointDir);
    const ssc = await create();
    if (!(ssc instanceof StreamingContext)) {
      throw new ConfigurationError(
        'create',
        ssc,
        'expected a function returning a new StreamingContext',
      );
    }
    if (ssc.stateValue !== 'initialized') {
      throw new IllegalStateError(
        'CONTEXT_STARTED',
        'getOrCreate: create() must return a context that has not been started',
      );
    }
    ssc.checkpointDir = checkpointDir;
    ssc.checkpointStore = options.store ?? new LocalCheckpointStore(checkpointDir);
    const checkpoint = await CheckpointManager.loadLatest(ssc.checkpointStore, ssc.logger);
    if (checkpoint !== undefined) {
      ssc.checkpointing().restore(checkpoint);
      ssc.recoveredCheckpoint = checkpoint;
      ssc.logger.info(
        { checkpointTime: checkpoint.time, checkpointDir },
        'Recovering from checkpoint',
      );
    }
    if (ssc.options.writeAheadLog !== undefined) {
      const log = ssc.openBlockLog(checkpoint?.time);
      ssc.blockLog = log;
      await log;
    }
    return ssc;
  }

  /** The context running in this process, if any. */
  static getActive(): StreamingContext | undefined {
    return activeContext;
  }

  /** `'initialized'`, `'active'` or `'stopped'`. */
  get state(): StreamingContextState {
    return this.stateValue;
  }

  /** Time between two batches, in milliseconds. */
  get batchInterval(): Duration {
    return this.options.batchInterval;
  }

  /** The context's clock. */
  get clock(): Clock {
    return this.options.clock;
  }

  /** The context's logger. */
  get logger(): Logger {
    return this.options.logger;
  }

  /** Partitions of wide transformations when not given. */
  get defaultParallelism(): number {
    return this.options.defaultParallelism;
  }

  /** The checkpoint directory, if set. */
  get checkpointDirectory(): string | undefined {
    return this.checkpointDir;
  }

  /** The time before the first batch, once started. */
  get zeroTime(): number | undefined {
    return this.jobGenerator.zeroTime;
  }

  // ------------------------------------------------------------ defining the graph

  /** Sets the checkpoint directory, needed by stateful and incremental window operations. */
  checkpoint(directory: string): void {
    this.assertCanDefineOperations();
    this.checkpointDir = requireNonEmptyString('checkpoint directory', directory);
  }

  /** Keeps every stream's batches for at least `duration` (for `slice` and ad-hoc queries). */
  remember(duration: Duration): void {
    this.assertCanDefineOperations();
    this.graph.setRememberDuration(requirePositiveInteger('remember duration', duration));
  }

  /**
   * A stream whose batches come from `queue`: one item per batch (`oneAtATime`, the default) or
   * all queued items at once; `defaultBatch` when the queue is empty (else an empty batch).
   * Items may be pushed onto the queue while the context runs.
   */
  queueStream<T>(
    queue: (readonly T[] | Batch<T>)[],
    oneAtATime = true,
    defaultBatch?: readonly T[] | Batch<T>,
  ): DStream<T> {
    if (!Array.isArray(queue))
      throw new ConfigurationError('queue', queue, 'expected an array of record arrays or batches');
    return this.inputStream(new QueueInputSource<T>(queue, oneAtATime, defaultBatch));
  }

  /**
   * A stream fed by a receiver: every batch holds the blocks it stored since the previous one.
   * The receiver's `ackOn` says when its source is acknowledged.
   */
  receiverStream<T>(receiver: Receiver<T>, options: ReceiverStreamOptions = {}): DStream<T> {
    if (!(receiver instanceof Receiver)) {
      throw new ConfigurationError(
        'receiver',
        receiver,
        'expected an instance of a Receiver subclass',
      );
    }
    if (!ACK_MODES.includes(receiver.ackOn)) {
      throw new ConfigurationError(
        'ackOn',
        receiver.ackOn,
        `expected one of ${ACK_MODES.map((m) => `'${m}'`).join(', ')}`,
      );
    }
    if (options.maxRate !== undefined && !(options.maxRate > 0)) {
      throw new ConfigurationError(
        'maxRate',
        options.maxRate,
        'expected a positive number of records per second',
      );
    }
    let streamId = -1;
    const source = new ReceiverInputSource<T>(receiver, options, (time) =>
      this.blockTracker.getBlocksOfBatch<T>(time, streamId),
    );
    const stream = this.inputStream(source);
    streamId = stream.id;
    return stream;
  }

  /** A stream whose batches come from a custom input source, such as a direct stream. */
  inputStream<T>(source: InputSource<T>): DStream<T> {
    return new DStream<T>(this, new InputComputation<T>(source, this.options.batchInterval));
  }

  /** The records of several streams with the same slide, batch by batch. */
  union<T>(streams: DStream<T>[]): DStream<T> {
    if (streams.length === 0)
      throw new ConfigurationError('streams', streams, 'union needs at least one stream');
    return streams[0].union(...streams.slice(1));
  }

  /**
   * A stream whose batch at each time is `fn` of the batches of `streams` at that time (Spark's
   * `StreamingContext.transform`), over any number of streams of this context with the same
   * slide. `fn` must return a Batch; a stream without a batch for a time fails that batch.
   */
  transform<S extends readonly DStream<any>[], R>(
    streams: readonly [...S],
    fn: (batches: BatchesOf<S>, time: number) => Batch<R>,
  ): DStream<R> {
    return transformStreams(this, streams, fn);
  }

  /** Adds a listener for the context's events. */
  addListener(listener: StreamingListener): void {
    this.listenerBus.add(listener);
  }

  /** Removes a listener. */
  removeListener(listener: StreamingListener): void {
    this.listenerBus.remove(listener);
  }

  // ------------------------------------------------------------ lifecycle

  /** Starts receivers and the generation of batches. */
  start(): void {
    if (this.stateValue === 'active') {
      throw new IllegalStateError(
        'CONTEXT_ALREADY_STARTED',
        'StreamingContext has already been started',
      );
    }
    if (this.stateValue === 'stopped') {
      throw new IllegalStateError(
        'CONTEXT_STOPPED',
        'StreamingContext has already been stopped and cannot be restarted; create a new one',
      );
    }
    if (activeContext !== undefined) {
      throw new IllegalStateError(
        'CONTEXT_ALREADY_ACTIVE',
        'Only one StreamingContext may be active in a process; stop the active one first',
      );
    }
    if (this.checkpointDir !== undefined) this.checkpointing();
    if (this.options.writeAheadLog !== undefined) this.blockLog ??= this.openBlockLog(undefined);
    const recovered = this.recoveredCheckpoint;
    if (recovered !== undefined) this.jobGenerator.restart(recovered.zeroTime, recovered.time);
    else this.jobGenerator.start();
    // The process-wide registry of the active context, as in Spark.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    activeContext = this;
    this.stateValue = 'active';
    this.rateController = this.options.backpressure ? this.createRateController() : undefined;
    this.startReceivers();
    try {
      // Receivers already got their initial rate; this hands it to direct sources.
      this.rateController?.start();
    } catch (error) {
      this.reportError(error);
    }
    void this.startInputSources();
    if (this.options.stopGracefullyOnShutdown) this.installSignalHandlers();
    this.listenerBus.post('onStreamingStarted', { time: this.options.clock.now() });
    this.options.logger.info(
      { batchInterval: this.options.batchInterval, zeroTime: this.zeroTime },
      'StreamingContext started',
    );
  }

  /**
   * Stops the context: at once by default, or gracefully (receivers stop, what they stored
   * becomes final batches, which are processed). Sinks are closed. Safe to call twice.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    if (this.stateValue === 'initialized') {
      this.stateValue = 'stopped';
      this.stopping = Promise.resolve();
      this.notifyTermination();
      return this.stopping;
    }
    this.stopping = this.stopActive(options);
    return this.stopping;
  }

  /**
   * Waits until the context stops: resolves `true` when it has, `false` when `timeout`
   * milliseconds passed first; rejects with the first error reported by a batch or receiver.
   */
  awaitTermination(timeout?: number): Promise<boolean> {
    if (this.hasReportedError) return Promise.reject(this.reportedError);
    if (this.stateValue === 'stopped' && this.stopping === undefined) return Promise.resolve(true);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.terminationWaiters.push(waiter);
      if (this.stateValue === 'stopped') void this.stopping?.then(() => resolve(true));
      if (timeout !== undefined) {
        setTimeout(() => {
          const index = this.terminationWaiters.indexOf(waiter);
          if (index >= 0) this.terminationWaiters.splice(index, 1);
          resolve(false);
        }, timeout).unref?.();
      }
    });
  }

  /** Resolves once every batch generated so far has been processed (useful with a ManualClock). */
  async awaitIdle(): Promise<void> {
    do {
      await this.jobGenerator.idle();
      await this.jobScheduler.idle();
    } while (this.jobScheduler.pendingBatches > 0);
  }

  /** Every receiver's current state. */
  receiverInfos(): ReceiverInfo[] {
    return this.receiverTracker.receiverInfos();
  }

  // ------------------------------------------------------------ engine services

  /** Throws unless streams may still be defined (before start). */
  assertCanDefineOperations(): void {
    if (this.stateValue === 'active') {
      throw new IllegalStateError(
        'CONTEXT_STARTED',
        'Adding new inputs, transformations, and output operations after starting a context is not supported',
      );
    }
    if (this.stateValue === 'stopped') {
      throw new IllegalStateError(
        'CONTEXT_STOPPED',
        'StreamingContext has already been stopped; create a new one',
      );
    }
  }

  /** Records what an input stream contributed to the batch at `time`. */
  reportInput(time: number, info: StreamInputInfo): void {
    this.inputInfoTracker.report(time, info);
  }

  /** What each input contributed to the batch at `time`. */
  inputInfoOf(time: number): ReadonlyMap<number, StreamInputInfo> {
    return this.inputInfoTracker.infoOf(time);
  }

  /** Registers work to do when the context stops (closing sinks and clients). */
  onStop(hook: () => Promise<void> | void): void {
    this.stopHooks.push(hook);
  }

  /** Reports an error of a batch or receiver: logged, and surfaced by `awaitTermination`. */
  reportError(error: unknown): void {
    this.options.logger.error({ err: error }, 'Error in streaming job');
    if (!this.hasReportedError) {
      this.hasReportedError = true;
      this.reportedError = error;
    }
    const waiters = this.terminationWaiters.splice(0);
    for (const waiter of waiters) waiter.reject(error);
  }

  // ------------------------------------------------------------ internals

  private startReceivers(): void {
    const receivers = this.graph.inputStreams
      .map((stream) => ({
        streamId: stream.id,
        source: (stream.computation as InputComputation<unknown>).source,
      }))
      .filter(
        (entry): entry is { streamId: number; source: ReceiverInputSource<unknown> } =>
          entry.source instanceof ReceiverInputSource,
      );
    if (receivers.length === 0) return;
    this.receiverTracker.start(
      receivers,
      {
        blockInterval: this.options.blockInterval,
        maxBufferedRecords: this.options.maxBufferedRecords,
        blockQueueSize: this.options.blockQueueSize,
        restartDelay: this.options.receiverRestartDelay,
        maxRate: this.options.maxRate,
      },
      (streamId) => this.rateController?.initialRateOf(streamId),
    );
  }

  /**
   * Backpressure: one PID estimator per receiver stream and per input source that takes rate
   * updates; receivers get the rate through their supervisor, sources through `onRateUpdate`.
   */
  private createRateController(): RateController | undefined {
    const streams: RateControlledStream[] = [];
    const sources = new Map<number, InputSource<unknown>>();
    for (const stream of this.graph.inputStreams) {
      const source = (stream.computation as InputComputation<unknown>).source;
      if (source instanceof ReceiverInputSource) {
        streams.push({
          streamId: stream.id,
          maxRate: source.options.maxRate ?? this.options.maxRate,
        });
      } else if (typeof source.onRateUpdate === 'function') {
        streams.push({ streamId: stream.id });
        sources.set(stream.id, source);
      }
    }
    if (streams.length === 0) return undefined;
    return new RateController({
      batchInterval: this.options.batchInterval,
      streams,
      initialRate: this.options.initialRate,
      pid: this.options.backpressurePid,
      publish: (streamId, rate) => {
        this.options.logger.debug({ streamId, rate }, 'Backpressure rate update');
        const source = sources.get(streamId);
        if (source !== undefined) source.onRateUpdate?.(rate);
        else this.receiverTracker.supervisorOf(streamId)?.setRateLimit(rate);
      },
    });
  }

  private async startInputSources(): Promise<void> {
    for (const source of this.graph.inputSources) {
      try {
        await source.start?.();
      } catch (error) {
        this.reportError(error);
      }
    }
  }

  private async stopActive(options: StopOptions): Promise<void> {
    const graceful = options.graceful ?? false;
    const timeout = options.timeout ?? this.options.gracefulStopTimeout;
    this.removeSignalHandlers();
    if (graceful) {
      const drained = this.drain();
      const finished = await Promise.race([
        drained.then(() => true),
        delay(timeout).then(() => false),
      ]);
      if (!finished)
        this.options.logger.warn({ timeout }, 'Graceful stop timed out; stopping at once');
    } else {
      this.jobGenerator.stopTimer();
      await this.receiverTracker.stop();
    }
    this.jobGenerator.stopTimer();
    this.stateValue = 'stopped';
    for (const source of this.graph.inputSources) {
      try {
        await source.stop?.();
      } catch (error) {
        this.options.logger.error({ err: error }, 'An input source failed to stop');
      }
    }
    if (graceful) {
      await this.awaitIdle();
      await this.writeFinalCheckpoint();
    }
    await this.receiverTracker.close();
    await this.jobGenerator.reportFinalDecodeFailures();
    if (this.blockLog !== undefined) {
      try {
        await (await this.blockLog).close();
      } catch (error) {
        this.options.logger.error({ err: error }, 'The write-ahead log failed to close');
      }
    }
    for (const hook of this.stopHooks) {
      try {
        await hook();
      } catch (error) {
        this.options.logger.error({ err: error }, 'A stop hook failed');
      }
    }
    if (activeContext === this) activeContext = undefined;
    this.options.logger.info({ graceful }, 'StreamingContext stopped');
    this.notifyTermination();
  }

  /** Graceful stop: receivers stop, their last blocks become batches, all batches complete. */
  private async drain(): Promise<void> {
    await this.receiverTracker.stop();
    this.jobGenerator.stopTimer();
    await this.jobGenerator.idle();
    while (this.blockTracker.hasUnallocatedBlocks()) {
      this.jobGenerator.generateNext();
      await this.jobGenerator.idle();
    }
    await this.awaitIdle();
  }

  private async onBatchCompleted(info: BatchInfo, failed: boolean): Promise<void> {
    const time = info.batchTime;
    try {
      // Every completed batch, failed or not, as Spark's rate controllers hear of them.
      this.rateController?.onBatchCompleted(info);
    } catch (error) {
      this.reportError(error);
    }
    if (!failed) {
      await this.receiverTracker.onBatchProcessed(this.blockTracker.blockIdsOfBatch(time));
      for (const source of this.graph.inputSources) {
        try {
          await source.onBatchCompleted?.(time);
        } catch (error) {
          this.reportError(error);
        }
      }
    }
    const zeroTime = this.jobGenerator.zeroTime ?? 0;
    this.captureCheckpoint(time);
    if (
      this.checkpointManager !== undefined &&
      (await this.checkpointManager.writeCaptured(time, zeroTime))
    ) {
      if (this.blockLog !== undefined)
        await (await this.blockLog).cleanup(time - this.options.batchInterval);
    }
    this.graph.clearMetadata(time);
    this.blockTracker.cleanupOldBatches(time);
    this.inputInfoTracker.cleanup(time);
  }

  private checkpointing(): CheckpointManager {
    if (this.checkpointManager === undefined) {
      this.checkpointStore ??= new LocalCheckpointStore(this.checkpointDir as string);
      this.checkpointManager = new CheckpointManager(this.checkpointStore, this.graph, {
        batchInterval: this.options.batchInterval,
        interval: this.options.checkpointInterval,
        retain: this.options.checkpointRetention,
        logger: this.options.logger,
      });
    }
    return this.checkpointManager;
  }

  private captureCheckpoint(time: number): void {
    const manager = this.checkpointManager;
    const zeroTime = this.jobGenerator.zeroTime;
    if (manager !== undefined && zeroTime !== undefined && manager.isCheckpointTime(time, zeroTime))
      manager.capture(time);
  }

  private async writeFinalCheckpoint(): Promise<void> {
    const manager = this.checkpointManager;
    const last = this.jobGenerator.lastBatchTime;
    if (manager === undefined || last === undefined) return;
    manager.capture(last);
    await manager.writeCaptured(last, this.jobGenerator.zeroTime ?? 0);
  }

  /**
   * Opens the write-ahead log and puts back the blocks it holds: after a checkpoint, blocks of the
   * batches after it keep their batch; without one, every block goes to the first batch.
   */
  private async openBlockLog(checkpointTime: number | undefined): Promise<ReceivedBlockLog> {
    const settings = this.options.writeAheadLog!;
    const { log, records } = await WriteAheadLog.open({
      directory: `${this.checkpointDir as string}/received-blocks`,
      sync: settings.sync,
      rollInterval: settings.rollInterval,
      clock: this.options.clock,
      logger: this.options.logger,
    });
    const recovered = ReceivedBlockLog.recover(records, checkpointTime ?? -Infinity);
    if (checkpointTime !== undefined) {
      this.blockTracker.restore(recovered.allocations, recovered.unallocated);
    } else {
      const all: Block<unknown>[] = [];
      for (const perStream of recovered.allocations.values())
        for (const blocks of perStream.values()) all.push(...blocks);
      this.blockTracker.restore(new Map(), [...all, ...recovered.unallocated]);
    }
    if (records.length > 0)
      this.options.logger.info(
        { records: records.length },
        'Recovered received blocks from the write-ahead log',
      );
    return new ReceivedBlockLog(log);
  }

  private async logBlock(block: Block<unknown>): Promise<void> {
    const log = await (this.blockLog ??= this.openBlockLog(undefined));
    await log.logBlock(block);
  }

  private async logAllocation(time: number): Promise<void> {
    if (this.blockLog === undefined) return;
    const ids = this.blockTracker.blockIdsOfBatch(time);
    if (ids.size === 0) return;
    await (await this.blockLog).logAllocation(time, ids);
  }

  private notifyTermination(): void {
    const waiters = this.terminationWaiters.splice(0);
    for (const waiter of waiters) waiter.resolve(true);
  }

  private installSignalHandlers(): void {
    const handler = (): void => {
      this.options.logger.info({}, 'Shutdown signal received; stopping gracefully');
      void this.stop({ graceful: true });
    };
    this.signalHandler = handler;
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  }

  private removeSignalHandlers(): void {
    if (this.signalHandler === undefined) return;
    process.removeListener('SIGTERM', this.signalHandler);
    process.removeListener('SIGINT', this.signalHandler);
    this.signalHandler = undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
