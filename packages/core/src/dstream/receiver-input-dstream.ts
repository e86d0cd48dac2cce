import { Batch } from '../batch/batch.js';
import type { Block } from '../receiver/block.js';
import type { Receiver } from '../receiver/receiver.js';
import type { InputBatch, InputSource } from './input-dstream.js';

/** Per-stream settings of a receiver stream. */
export interface ReceiverStreamOptions {
  /** Records per second this receiver may store; default: the context's `maxRate` (no limit). */
  readonly maxRate?: number;
}

/**
 * The input of a receiver stream: each batch holds the blocks the receiver stored since the
 * previous batch, one partition per block; the batch's metadata lists the blocks.
 */
export class ReceiverInputSource<T> implements InputSource<T> {
  readonly kind = 'receiver';

  constructor(
    readonly receiver: Receiver<T>,
    readonly options: ReceiverStreamOptions,
    private readonly blocksOf: (time: number) => readonly Block<T>[],
  ) {}

  computeBatch(time: number): InputBatch<T> {
    const blocks = this.blocksOf(time);
    if (blocks.length === 0) return { batch: Batch.empty<T>(), metadata: { blocks: [] } };
    return {
      batch: Batch.fromPartitions(blocks.map((block) => block.records)),
      metadata: {
        blocks: blocks.map((block) => ({
          id: block.id,
          numRecords: block.records.length,
          ...block.metadata,
        })),
      },
    };
  }
}
