import type { Job } from '../dstream/foreach-dstream.js';
import type { BatchInfo, OutputOperationInfo, StreamInputInfo } from '../listener/batch-info.js';
import type { ListenerBus } from '../listener/listener-bus.js';
import type { Clock } from '../util/clock.js';
import { OutputOperationError } from '../util/errors.js';

/** The jobs of one batch time, with what its inputs contributed. */
export interface JobSet {
  readonly time: number;
  readonly jobs: readonly Job[];
  readonly inputInfos: ReadonlyMap<number, StreamInputInfo>;
  readonly submissionTime: number;
}

/** What the scheduler reports when a batch is done. */
export type BatchCompletionHandler = (batchInfo: BatchInfo, failed: boolean) => Promise<void>;

/**
 * Runs the jobs of each batch, one batch at a time in time order and the output operations of a
 * batch in definition order, posting listener events with the batch's delays. A failed output
 * operation fails its batch (reported to the context) but later batches still run.
 */
export class JobScheduler {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly clock: Clock,
    private readonly listenerBus: ListenerBus,
    private readonly onBatchCompleted: BatchCompletionHandler,
    private readonly reportError: (error: unknown) => void,
  ) {}

  /** Number of batches submitted and not yet completed. */
  get pendingBatches(): number {
    return this.pending;
  }

  /** Queues a batch's jobs; they run after every earlier batch completed. */
  submit(jobSet: JobSet): void {
    this.pending++;
    const info = this.batchInfo(jobSet, new Map());
    this.listenerBus.post('onBatchSubmitted', { batchInfo: info });
    this.tail = this.tail
      .then(() => this.run(jobSet))
      .finally(() => {
        this.pending--;
      });
  }

  /** Resolves once every submitted batch has completed. */
  async idle(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }

  private async run(jobSet: JobSet): Promise<void> {
    const started = this.clock.now();
    const outputs = new Map<number, OutputOperationInfo>();
    this.listenerBus.post('onBatchStarted', {
      batchInfo: this.batchInfo(jobSet, outputs, started),
    });
    let failed = false;
    for (const job of jobSet.jobs) {
      const base = {
        batchTime: jobSet.time,
        id: job.outputOperationId,
        name: job.name,
        description: job.name,
      };
      const startTime = this.clock.now();
      this.listenerBus.post('onOutputOperationStarted', {
        outputOperationInfo: { ...base, startTime },
      });
      let failureReason: string | undefined;
      try {
        await job.run();
      } catch (error) {
        failed = true;
        failureReason = error instanceof Error ? error.message : String(error);
        this.reportError(
          new OutputOperationError(
            jobSet.time,
            `Output operation ${job.name} failed for the batch at ${jobSet.time} ms: ${failureReason}`,
            { cause: error },
          ),
        );
      }
      const completed: OutputOperationInfo = {
        ...base,
        startTime,
        endTime: this.clock.now(),
        failureReason,
      };
      outputs.set(job.outputOperationId, completed);
      this.listenerBus.post('onOutputOperationCompleted', { outputOperationInfo: completed });
    }
    const info = this.batchInfo(jobSet, outputs, started, this.clock.now());
    try {
      await this.onBatchCompleted(info, failed);
    } catch (error) {
      this.reportError(error);
    }
    this.listenerBus.post('onBatchCompleted', { batchInfo: info });
  }

  private batchInfo(
    jobSet: JobSet,
    outputs: ReadonlyMap<number, OutputOperationInfo>,
    start?: number,
    end?: number,
  ): BatchInfo {
    let numRecords = 0;
    for (const input of jobSet.inputInfos.values()) numRecords += input.numRecords;
    const schedulingDelay = start === undefined ? undefined : start - jobSet.time;
    const processingDelay = start === undefined || end === undefined ? undefined : end - start;
    return {
      batchTime: jobSet.time,
      streamIdToInputInfo: jobSet.inputInfos,
      submissionTime: jobSet.submissionTime,
      processingStartTime: start,
      processingEndTime: end,
      outputOperationInfos: outputs,
      numRecords,
      schedulingDelay,
      processingDelay,
      totalDelay: end === undefined ? undefined : end - jobSet.time,
    };
  }
}
