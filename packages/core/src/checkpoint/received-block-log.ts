import type { Block } from '../receiver/block.js';
import { deserialize, serialize } from '../util/serialization.js';
import type { WriteAheadLog } from './write-ahead-log.js';

type LogEntry =
  | { readonly type: 'block'; readonly block: Block<unknown> }
  | {
      readonly type: 'allocation';
      readonly time: number;
      readonly blockIds: Record<string, string[]>;
    };

/** What the write-ahead log says about received blocks after a restart. */
export interface RecoveredBlocks {
  /** Blocks allocated to batches after the checkpoint, by batch time and stream id. */
  readonly allocations: Map<number, Map<number, Block<unknown>[]>>;
  /** Blocks stored but not yet allocated to any batch. */
  readonly unallocated: Block<unknown>[];
}

/**
 * Received blocks and their allocation to batches, written to the write-ahead log before a
 * reliable receiver acknowledges them, and read back after a crash.
 */
export class ReceivedBlockLog {
  constructor(private readonly log: WriteAheadLog) {}

  /** Logs a stored block; resolves once durable. */
  logBlock(block: Block<unknown>): Promise<void> {
    return this.log.append(
      Buffer.from(serialize({ type: 'block', block } satisfies LogEntry), 'utf8'),
    );
  }

  /** Logs which blocks went to the batch at `time`; resolves once durable. */
  logAllocation(
    time: number,
    blockIdsByStream: ReadonlyMap<number, readonly string[]>,
  ): Promise<void> {
    const blockIds: Record<string, string[]> = {};
    for (const [streamId, ids] of blockIdsByStream) blockIds[String(streamId)] = [...ids];
    return this.log.append(
      Buffer.from(serialize({ type: 'allocation', time, blockIds } satisfies LogEntry), 'utf8'),
    );
  }

  /** Deletes what a checkpoint at `time` covers. */
  cleanup(time: number): Promise<void> {
    return this.log.deleteOlderThan(time);
  }

  close(): Promise<void> {
    return this.log.close();
  }

  /**
   * Rebuilds the blocks of batches after `checkpointTime` and the blocks not yet allocated, from
   * the records of the log in order. Blocks of batches the checkpoint covers are dropped.
   */
  static recover(records: readonly Buffer[], checkpointTime: number): RecoveredBlocks {
    const blocks = new Map<string, Block<unknown>>();
    const allocations = new Map<number, Map<number, Block<unknown>[]>>();
    const allocated = new Set<string>();
    for (const record of records) {
      const entry = deserialize(record.toString('utf8')) as LogEntry;
      if (entry.type === 'block') {
        blocks.set(entry.block.id, entry.block);
        continue;
      }
      const perStream = new Map<number, Block<unknown>[]>();
      for (const [streamId, ids] of Object.entries(entry.blockIds)) {
        for (const id of ids) allocated.add(id);
        const found = ids
          .map((id) => blocks.get(id))
          .filter((block): block is Block<unknown> => block !== undefined);
        perStream.set(Number(streamId), found);
      }
      if (entry.time > checkpointTime) allocations.set(entry.time, perStream);
    }
    const unallocated = [...blocks.values()].filter((block) => !allocated.has(block.id));
    return { allocations, unallocated };
  }
}
