import type { DStreamGraph } from '../dstream/dstream-graph.js';
import {
  closeDeadLetterChannels,
  setDeadLetterBatchTime,
} from '../decoding/dead-letter-channel.js';
import { forgetUnreportedDecodeFailures } from '../decoding/decode-failure-ledger.js';
import type { Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { reportDecodeFailures } from './decode-failure-report.js';
import type { InputInfoTracker } from './input-info-tracker.js';
import type { JobScheduler } from './job-scheduler.js';
import type { ReceivedBlockTracker } from './received-block-tracker.js';

/**
 * Generates a batch every batch interval: on each tick of the clock it allocates the received
 * blocks to the batch time (at once, so the batch holds exactly what arrived before it), then,
 * in time order, computes the output streams' batches and submits their jobs.
 */
export class JobGenerator {
  private cancelTimer: (() => void) | undefined;
  private tail: Promise<void> = Promise.resolve();
  private lastTime: number | undefined;
  private zeroTimeValue: number | undefined;

  /**
   * Called at a batch's time, right before blocks are allocated to it: receivers cut what they
   * buffered into a block now, so the batch holds everything stored before its time.
   */
  onBatchTime: ((time: number) => void) | undefined;
  /** Called right after blocks were allocated to a batch, before its jobs are generated. */
  onAllocated: ((time: number) => Promise<void> | void) | undefined;

  constructor(
    private readonly batchInterval: number,
    private readonly clock: Clock,
    private readonly graph: DStreamGraph,
    private readonly blockTracker: ReceivedBlockTracker,
    private readonly inputInfoTracker: InputInfoTracker,
    private readonly scheduler: JobScheduler,
    private readonly reportError: (error: unknown) => void,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** The time before the first batch. */
  get zeroTime(): number | undefined {
    return this.zeroTimeValue;
  }

  /** The latest batch time generated. */
  get lastBatchTime(): number | undefined {
    return this.lastTime;
  }

  /**
   * Sets the zero time (the batch-interval boundary at or before now), starts the graph, and
   * schedules the first batch one interval after the zero time.
   */
  start(): number {
    const interval = this.batchInterval;
    const firstTime = (Math.floor(this.clock.now() / interval) + 1) * interval;
    const zeroTime = firstTime - interval;
    this.zeroTimeValue = zeroTime;
    resetDecodeAccounting();
    this.graph.start(zeroTime);
    this.scheduleTick(firstTime);
    return zeroTime;
  }

  /**
   * Starts again after a recovery: the zero time of the checkpointed run, then at once every batch
   * after the checkpoint up to now (those that were pending and those that passed while the
   * process was down), then on the clock.
   */
  restart(zeroTime: number, checkpointTime: number): void {
    const interval = this.batchInterval;
    this.zeroTimeValue = zeroTime;
    resetDecodeAccounting();
    this.graph.start(zeroTime);
    this.lastTime = checkpointTime;
    const now = this.clock.now();
    let time = checkpointTime + interval;
    for (; time <= now; time += interval) this.generate(time);
    this.scheduleTick(time);
  }

  /**
   * Reports the decoding failures since the last batch, writes the dead letters still waiting
   * and closes the dead-letter sinks: called when the context stops, after its last batch.
   */
  async reportFinalDecodeFailures(): Promise<void> {
    await reportDecodeFailures(
      this.lastTime ?? this.zeroTimeValue ?? 0,
      this.graph,
      undefined,
      this.logger,
    );
    await closeDeadLetterChannels((error) =>
      this.logger.error({ err: error }, 'A dead-letter sink failed to close'),
    );
  }

  /** Stops generating on the clock. */
  stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** Generates the batch after the last one now, without waiting for the clock (graceful stop). */
  generateNext(): void {
    const time = (this.lastTime ?? this.zeroTimeValue ?? 0) + this.batchInterval;
    this.generate(time);
  }

  /** Resolves once every batch generated so far has been submitted. */
  async idle(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }

  private scheduleTick(time: number): void {
    this.cancelTimer = this.clock.schedule(time, () => {
      this.scheduleTick(time + this.batchInterval);
      this.generate(time);
    });
  }

  private generate(time: number): void {
    if (this.lastTime !== undefined && time <= this.lastTime) return;
    this.lastTime = time;
    setDeadLetterBatchTime(time);
    this.onBatchTime?.(time);
    this.blockTracker.allocateBlocksToBatch(time);
    this.tail = this.tail.then(async () => {
      try {
        await this.onAllocated?.(time);
        const jobs = await this.graph.generateJobs(time);
        void reportDecodeFailures(time, this.graph, this.inputInfoTracker, this.logger);
        this.scheduler.submit({
          time,
          jobs,
          inputInfos: this.inputInfoTracker.infoOf(time),
          submissionTime: this.clock.now(),
        });
      } catch (error) {
        this.reportError(error);
      }
    });
  }
}

/** A new run starts with no batch time for dead letters and no failures of an earlier run. */
function resetDecodeAccounting(): void {
  setDeadLetterBatchTime(undefined);
  forgetUnreportedDecodeFailures();
}
