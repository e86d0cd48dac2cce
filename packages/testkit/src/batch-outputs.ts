import type { DStream } from '@dstream/core';
import { sortRecords } from './record-order.js';

/** The records one output operation received for one batch time. */
export interface BatchOutput<T> {
  /** The batch time in milliseconds. */
  readonly time: number;
  /** The records of the batch, partition after partition. */
  readonly records: readonly T[];
}

/**
 * The batches a stream produced, in batch-time order, collected for assertions. Filled while
 * the context runs; read it after `await testContext.advance()`.
 *
 * @example
 * ```ts
 * const counts = tc.collect(words.countByValue());
 * await tc.advance(2);
 * expect(counts.sorted()).toEqual([[['a', 1], ['b', 2]], []]);
 * ```
 */
export class BatchOutputs<T> {
  private readonly collected: BatchOutput<T>[] = [];

  /**
   * Attaches an output operation to `stream` that records every batch. Call it before the
   * context starts, as for any output operation.
   */
  static of<T>(stream: DStream<T>): BatchOutputs<T> {
    const outputs = new BatchOutputs<T>();
    stream.foreachBatch((batch, time) => {
      outputs.collected.push({ time, records: batch.collect() });
    }, 'collect');
    return outputs;
  }

  /** How many batches were collected. */
  get length(): number {
    return this.collected.length;
  }

  /** Every collected batch with its time, in time order. */
  get batches(): readonly BatchOutput<T>[] {
    return this.collected;
  }

  /** The batch times collected, in order. */
  times(): number[] {
    return this.collected.map((output) => output.time);
  }

  /** The records of each batch, in the order the engine produced them. */
  records(): T[][] {
    return this.collected.map((output) => [...output.records]);
  }

  /**
   * The records of each batch, each batch sorted by a stable total order: for batches whose
   * record order the engine does not specify (wide transformations, several blocks).
   */
  sorted(): T[][] {
    return this.collected.map((output) => sortRecords(output.records));
  }

  /** Every record of every batch, flattened in time order. */
  all(): T[] {
    const all: T[] = [];
    for (const output of this.collected) for (const record of output.records) all.push(record);
    return all;
  }

  /** The records of the batch at `time`, or `undefined` when no batch at that time was collected. */
  at(time: number): T[] | undefined {
    const output = this.collected.find((candidate) => candidate.time === time);
    return output === undefined ? undefined : [...output.records];
  }

  /** The records of the latest batch, or `undefined` before the first batch. */
  last(): T[] | undefined {
    const output = this.collected[this.collected.length - 1];
    return output === undefined ? undefined : [...output.records];
  }

  /** Forgets what was collected so far (the next assertions see only later batches). */
  clear(): void {
    this.collected.length = 0;
  }
}
