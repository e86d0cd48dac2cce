import { IllegalStateError } from '../util/errors.js';
import type { DStream } from './dstream.js';
import { isOutputComputation, type Job } from './foreach-dstream.js';
import { isInputComputation, type InputComputation } from './input-dstream.js';

/**
 * The streams of a context: inputs, transformations and outputs, in definition order. It
 * initializes them at start and generates each batch time's jobs, one per output operation.
 */
export class DStreamGraph {
  private readonly streams: DStream<unknown>[] = [];
  private rememberDurationValue: number | undefined;

  /** Adds a stream; returns its id. */
  register(stream: DStream<any>): number {
    this.streams.push(stream);
    return this.streams.length - 1;
  }

  /** Every stream, in definition order. */
  get allStreams(): readonly DStream<unknown>[] {
    return this.streams;
  }

  get inputStreams(): DStream<unknown>[] {
    return this.streams.filter((stream) => isInputComputation(stream.computation));
  }

  get outputStreams(): DStream<unknown>[] {
    return this.streams.filter((stream) => isOutputComputation(stream.computation));
  }

  /** The input sources, in definition order. */
  get inputSources(): InputComputation<unknown>['source'][] {
    return this.inputStreams.map(
      (stream) => (stream.computation as InputComputation<unknown>).source,
    );
  }

  /** Keeps every stream's batches for at least `duration` (StreamingContext.remember). */
  setRememberDuration(duration: number): void {
    this.rememberDurationValue = duration;
  }

  /** Validates the graph and sets every stream's zero time and remember duration. */
  start(zeroTime: number): void {
    if (this.outputStreams.length === 0) {
      throw new IllegalStateError(
        'NO_OUTPUT_OPERATIONS',
        'No output operations registered, so nothing to execute: add print(), foreachBatch(), saveAsTextFiles() or to(sink)',
      );
    }
    for (const stream of this.streams) stream.validateAtStart();
    for (const output of this.outputStreams) {
      output.initialize(zeroTime);
      output.remember(
        Math.max(
          this.rememberDurationValue ?? 0,
          output.checkpointInterval ? 2 * output.checkpointInterval : 0,
          output.slideDuration,
        ),
      );
    }
    for (const stream of this.streams) {
      if (stream.zeroTime === undefined) stream.initialize(zeroTime);
      if (this.rememberDurationValue !== undefined) stream.remember(this.rememberDurationValue);
      if (stream.checkpointInterval !== undefined) stream.remember(2 * stream.checkpointInterval);
    }
  }

  /**
   * Decides what every input takes for the batch at `time` (received blocks, queue items,
   * offset ranges, files), in time order, and returns one job per output operation with a batch
   * then. When an input fails to decide, every job of the batch fails with its error, so the
   * failure is reported with the batch.
   */
  async generateJobs(time: number): Promise<Job[]> {
    let inputError: unknown;
    for (const input of this.inputStreams) {
      try {
        await input.getOrCompute(time);
      } catch (error) {
        inputError ??= error;
      }
    }
    const jobs: Job[] = [];
    const outputs = this.outputStreams;
    for (let id = 0; id < outputs.length; id++) {
      const computation = outputs[id].computation;
      if (!isOutputComputation(computation)) continue;
      const job = computation.generateJob(time, id);
      if (job === undefined) continue;
      jobs.push(inputError === undefined ? job : { ...job, run: () => Promise.reject(inputError) });
    }
    return jobs;
  }

  /** Forgets batches no stream needs any more after the batch at `time`. */
  clearMetadata(time: number): void {
    for (const stream of this.streams) stream.clearMetadata(time);
  }

  /** A description of the graph's shape: kinds, parents and shape parameters, in order. */
  shapeDescription(): string[] {
    return this.streams.map((stream) => {
      const parents = stream.dependencies.map((parent) => parent.id).join(',');
      const shape = stream.computation.shape ? ` ${JSON.stringify(stream.computation.shape)}` : '';
      return `#${stream.id} ${stream.computation.kind}(${parents}) slide=${stream.slideDuration}${shape}`;
    });
  }
}
