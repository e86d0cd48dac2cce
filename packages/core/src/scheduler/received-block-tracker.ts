import type { Block } from '../receiver/block.js';

/**
 * Keeps the blocks receivers stored until a batch takes them: every batch interval, all blocks
 * not yet allocated are allocated to that batch time, per input stream.
 */
export class ReceivedBlockTracker {
  private unallocated = new Map<number, Block<unknown>[]>();
  private readonly allocated = new Map<number, Map<number, Block<unknown>[]>>();
  private lastAllocatedTime = -Infinity;

  /** Adds a stored block to its stream's queue. */
  addBlock(block: Block<unknown>): void {
    let queue = this.unallocated.get(block.streamId);
    if (queue === undefined) {
      queue = [];
      this.unallocated.set(block.streamId, queue);
    }
    queue.push(block);
  }

  /** Gives every unallocated block to the batch at `time`; later times only. */
  allocateBlocksToBatch(time: number): void {
    if (time <= this.lastAllocatedTime || this.allocated.has(time)) return;
    this.allocated.set(time, this.unallocated);
    this.unallocated = new Map();
    this.lastAllocatedTime = time;
  }

  /**
   * Puts back what the write-ahead log recovered: batches after the checkpoint keep their blocks,
   * blocks not yet allocated go to the next batch.
   */
  restore(
    allocations: ReadonlyMap<number, Map<number, Block<unknown>[]>>,
    unallocated: readonly Block<unknown>[],
  ): void {
    for (const [time, perStream] of allocations) this.allocated.set(time, perStream);
    for (const block of unallocated) this.addBlock(block);
  }

  /** The blocks of one stream allocated to the batch at `time`. */
  getBlocksOfBatch<T>(time: number, streamId: number): readonly Block<T>[] {
    return (this.allocated.get(time)?.get(streamId) ?? []) as Block<T>[];
  }

  /** The ids of every block allocated to the batch at `time`, per stream. */
  blockIdsOfBatch(time: number): Map<number, string[]> {
    const result = new Map<number, string[]>();
    for (const [streamId, blocks] of this.allocated.get(time) ?? []) {
      result.set(
        streamId,
        blocks.map((block) => block.id),
      );
    }
    return result;
  }

  /** Whether blocks are waiting for a batch. */
  hasUnallocatedBlocks(): boolean {
    for (const queue of this.unallocated.values()) if (queue.length > 0) return true;
    return false;
  }

  /** Forgets the allocations of batches before `time`. */
  cleanupOldBatches(time: number): void {
    for (const batchTime of this.allocated.keys()) {
      if (batchTime < time) this.allocated.delete(batchTime);
    }
  }
}
