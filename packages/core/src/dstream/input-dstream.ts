import type { Batch } from '../batch/batch.js';
import type { DStreamComputation } from './dstream-computation.js';
import type { DStream } from './dstream.js';

/** What an input source gives for one batch: the records and the facts to record about them. */
export interface InputBatch<T> {
  readonly batch: Batch<T>;
  /** Offsets, file lists, block ids: shown to listeners and recorded for the checkpoint. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * A source of input batches (Spark's InputDStream): queue streams, receiver streams and direct
 * sources such as the Kafka direct stream or the file stream implement it, and
 * `StreamingContext.inputStream(source)` turns one into a DStream.
 */
export interface InputSource<T> {
  /** The kind's name for the graph fingerprint and the UI, such as `kafkaDirect`. */
  readonly kind: string;
  /** Called when the context starts, before the first batch. */
  start?(): Promise<void> | void;
  /** Called when the context stops. */
  stop?(): Promise<void> | void;
  /**
   * The batch for `time`, decided when the batch is generated: calls come in time order, once per
   * batch time. `undefined` means no batch (treated as empty by most consumers).
   */
  computeBatch(time: number): Promise<InputBatch<T> | undefined> | InputBatch<T> | undefined;
  /** Called once every output operation of the batch at `time` has succeeded. */
  onBatchCompleted?(time: number): Promise<void> | void;
  /**
   * What the source must remember across a restart (offset ranges, file lists), as plain data;
   * called when the batch just generated is checkpointed.
   */
  snapshot?(): unknown;
  /** Takes back what {@link snapshot} returned, before the first batch after a recovery. */
  restore?(snapshot: unknown): void;
  /**
   * The rate, in records per second, backpressure allows this source now: for the whole stream.
   * May be called before `start()` with the initial rate.
   */
  onRateUpdate?(recordsPerSecond: number): void;
}

/** Adapts an {@link InputSource} to a stream: reports what each batch took to the context. */
export class InputComputation<T> implements DStreamComputation<T> {
  readonly parents: readonly DStream<unknown>[] = [];
  readonly kind: string;

  constructor(
    readonly source: InputSource<T>,
    readonly slideDuration: number,
  ) {
    this.kind = source.kind;
  }

  async compute(time: number, self: DStream<T>): Promise<Batch<T> | undefined> {
    const input = await this.source.computeBatch(time);
    if (input === undefined) return undefined;
    self.context.reportInput(time, {
      streamId: self.id,
      numRecords: input.batch.count(),
      metadata: input.metadata ?? {},
    });
    return input.batch;
  }
}

/** Whether a computation reads an input source. */
export function isInputComputation(
  computation: DStreamComputation<unknown>,
): computation is InputComputation<unknown> {
  return computation instanceof InputComputation;
}
