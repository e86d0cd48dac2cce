import type { Batch } from '../batch/batch.js';
import { claimOutputSink } from '../sink/sink-roles.js';
import type { Sink, SinkBatchContext } from '../sink/sink.js';
import type { StreamingContext } from '../streaming-context.js';

/**
 * Runs a {@link Sink} as an output operation: opens it before the first batch (again after a
 * failed open), writes each partition, wraps every batch in the sink's begin/commit/abort hooks
 * (a failed write or commit aborts the batch), and closes it when the context stops.
 */
export class SinkOutput<T> {
  private opened: Promise<void> | undefined;

  constructor(
    private readonly sink: Sink<T>,
    private readonly context: StreamingContext,
  ) {
    claimOutputSink(sink);
    context.onStop(async () => {
      if (this.opened !== undefined) {
        this.opened = undefined;
        await this.sink.close?.();
      }
    });
  }

  /** Writes one batch; bound so it can be passed as an output function. */
  readonly writeBatch = async (batch: Batch<T>, batchTime: number): Promise<void> => {
    const sink = this.sink;
    this.opened ??= Promise.resolve(sink.open?.()).catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    await this.opened;
    const batchContext: SinkBatchContext = {
      batchTime,
      inputs: this.context.inputInfoOf(batchTime),
    };
    await sink.beginBatch?.(batchContext);
    try {
      const partitions = batch.partitions;
      for (let partition = 0; partition < partitions.length; partition++) {
        await sink.write(partitions[partition], {
          batchTime,
          partition,
          numPartitions: partitions.length,
        });
      }
      await sink.commitBatch?.(batchContext);
    } catch (error) {
      await sink.abortBatch?.(batchContext, error);
      throw error;
    }
  };
}
