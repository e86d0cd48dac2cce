import type { DStreamComputation, StatefulComputation } from '../dstream/dstream-computation.js';
import type { DStreamGraph } from '../dstream/dstream-graph.js';
import { isInputComputation } from '../dstream/input-dstream.js';
import { CheckpointError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { serialize } from '../util/serialization.js';
import {
  checkpointFileName,
  checkpointTimeOf,
  decodeCheckpoint,
  encodeCheckpoint,
  graphDifferences,
  type Checkpoint,
} from './checkpoint.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** Settings of checkpointing. */
export interface CheckpointManagerOptions {
  readonly batchInterval: number;
  /** Milliseconds between checkpoints: a multiple of the batch interval. */
  readonly interval: number;
  /** How many checkpoint files to keep. */
  readonly retain: number;
  readonly logger: Logger;
}

/**
 * Takes the state of every stateful stream and input source once a checkpoint batch has
 * completed (batches run one at a time, so stateful streams then hold the state after that
 * batch, and input sources know the batches already generated after it), writes it, keeps the last few files, and restores a
 * checkpoint into a rebuilt graph after checking that the graph has the same shape.
 */
export class CheckpointManager {
  private readonly captured = new Map<number, string>();

  constructor(
    private readonly store: CheckpointStore,
    private readonly graph: DStreamGraph,
    private readonly options: CheckpointManagerOptions,
  ) {}

  /** Whether the batch at `time` is checkpointed. */
  isCheckpointTime(time: number, zeroTime: number): boolean {
    return (time - zeroTime) % this.options.interval === 0;
  }

  /** Takes the state as it stands right after the batch at `time` completed. */
  capture(time: number): void {
    const states: Record<string, unknown> = {};
    for (const stream of this.graph.allStreams) {
      const computation = stream.computation;
      if (isStateful(computation)) {
        states[String(stream.id)] = { state: computation.snapshotState() };
      } else if (isInputComputation(computation) && computation.source.snapshot !== undefined) {
        states[String(stream.id)] = { input: computation.source.snapshot() };
      }
    }
    this.captured.set(time, serialize(states));
  }

  /** Writes the state captured for `time`, if any; returns whether a checkpoint was written. */
  async writeCaptured(time: number, zeroTime: number): Promise<boolean> {
    const states = this.captured.get(time);
    for (const capturedTime of this.captured.keys())
      if (capturedTime <= time) this.captured.delete(capturedTime);
    if (states === undefined) return false;
    const checkpoint: Checkpoint = {
      version: 1,
      time,
      batchInterval: this.options.batchInterval,
      zeroTime,
      graph: this.graph.shapeDescription(),
      states: {},
      writtenAt: Date.now(),
    };
    await this.store.write(checkpointFileName(time), encodeCheckpoint(checkpoint, states));
    await this.prune();
    this.options.logger.debug({ time }, 'Checkpoint written');
    return true;
  }

  /**
   * Checks that `checkpoint` was written by a graph of the same shape and batch interval, and
   * restores the state of every stateful stream and input source from it.
   */
  restore(checkpoint: Checkpoint): void {
    if (checkpoint.batchInterval !== this.options.batchInterval) {
      throw new CheckpointError(
        'CHECKPOINT_INCOMPATIBLE',
        `The checkpoint at ${checkpoint.time} ms was written with a batch interval of ${checkpoint.batchInterval} ms; this context has ${this.options.batchInterval} ms`,
      );
    }
    const differences = graphDifferences(checkpoint.graph, this.graph.shapeDescription());
    if (differences.length > 0) {
      throw new CheckpointError(
        'CHECKPOINT_INCOMPATIBLE',
        `The checkpoint at ${checkpoint.time} ms was written by a graph of another shape; recover with the same streams in the same order, or start from an empty checkpoint directory.\n  ${differences.join('\n  ')}`,
      );
    }
    for (const stream of this.graph.allStreams) {
      const saved = checkpoint.states[String(stream.id)] as
        { state?: unknown; input?: unknown } | undefined;
      if (saved === undefined) continue;
      const computation = stream.computation;
      if (isStateful(computation) && 'state' in saved) computation.restoreState(saved.state);
      else if (isInputComputation(computation) && 'input' in saved)
        computation.source.restore?.(saved.input);
    }
  }

  /** The newest checkpoint in `store` that can be read; damaged ones are skipped with a warning. */
  static async loadLatest(store: CheckpointStore, logger: Logger): Promise<Checkpoint | undefined> {
    const names = (await store.list())
      .filter((name) => checkpointTimeOf(name) !== undefined)
      .sort((a, b) => checkpointTimeOf(b)! - checkpointTimeOf(a)!);
    for (const name of names) {
      const bytes = await store.read(name);
      if (bytes === undefined) continue;
      try {
        return decodeCheckpoint(bytes, name);
      } catch (error) {
        logger.warn(
          { err: error, checkpoint: name },
          'Skipping a damaged checkpoint; trying an older one',
        );
      }
    }
    return undefined;
  }

  private async prune(): Promise<void> {
    const names = (await this.store.list())
      .filter((name) => checkpointTimeOf(name) !== undefined)
      .sort((a, b) => checkpointTimeOf(b)! - checkpointTimeOf(a)!);
    for (const name of names.slice(this.options.retain)) await this.store.delete(name);
  }
}

function isStateful(
  computation: DStreamComputation<unknown>,
): computation is StatefulComputation<unknown> {
  return typeof (computation as Partial<StatefulComputation<unknown>>).snapshotState === 'function';
}
