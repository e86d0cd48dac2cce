import { CheckpointError } from '../util/errors.js';
import { deserialize, serialize } from '../util/serialization.js';
import { frame, unframe } from './framing.js';

/**
 * What a checkpoint holds: the batch time it covers (every batch up to it completed), the
 * context's timing, the shape of the graph it was written by, and the state of every stateful
 * stream and input source at that batch time, by stream id.
 */
export interface Checkpoint {
  readonly version: 1;
  /** Every batch up to and including this time had completed. */
  readonly time: number;
  readonly batchInterval: number;
  readonly zeroTime: number;
  /** The graph's shape: one line per stream. */
  readonly graph: readonly string[];
  /** State of stateful streams and input sources, by stream id. */
  readonly states: Readonly<Record<string, unknown>>;
  /** Wall-clock time of writing. */
  readonly writtenAt: number;
}

const MAGIC = Buffer.from('DSTREAM-CHECKPOINT-1\n');

/** The name of the checkpoint file of a batch time; names sort in time order. */
export function checkpointFileName(time: number): string {
  return `checkpoint-${String(time).padStart(16, '0')}`;
}

/** The batch time of a checkpoint file name, or `undefined` for another file. */
export function checkpointTimeOf(name: string): number | undefined {
  const match = /^checkpoint-(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A checkpoint as bytes: a magic line, then one CRC-framed record. */
export function encodeCheckpoint(checkpoint: Checkpoint, serializedStates?: string): Buffer {
  const body =
    serializedStates === undefined
      ? serialize(checkpoint)
      : serializeWithStates(checkpoint, serializedStates);
  return Buffer.concat([MAGIC, frame(Buffer.from(body, 'utf8'))]);
}

/** Reads a checkpoint written by {@link encodeCheckpoint}; a damaged file fails with `CHECKPOINT_CORRUPT`. */
export function decodeCheckpoint(bytes: Buffer, name: string): Checkpoint {
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint file ${name} is not a dstream checkpoint`,
    );
  }
  const { records, problem } = unframe(bytes.subarray(MAGIC.length));
  if (problem !== undefined || records.length !== 1) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint file ${name} is ${problem ?? 'malformed'}`,
    );
  }
  try {
    return deserialize(records[0].toString('utf8')) as Checkpoint;
  } catch (error) {
    throw new CheckpointError('CHECKPOINT_CORRUPT', `Checkpoint file ${name} cannot be parsed`, {
      cause: error,
    });
  }
}

/**
 * The differences between the graph a checkpoint was written by and the graph rebuilt now, one
 * readable line each; empty when they have the same shape.
 */
export function graphDifferences(
  checkpointed: readonly string[],
  current: readonly string[],
): string[] {
  const differences: string[] = [];
  const length = Math.max(checkpointed.length, current.length);
  for (let i = 0; i < length; i++) {
    const before = checkpointed[i];
    const now = current[i];
    if (before === now) continue;
    if (before === undefined) differences.push(`stream added: ${now}`);
    else if (now === undefined) differences.push(`stream removed: ${before}`);
    else differences.push(`stream changed: was ${before}, now ${now}`);
  }
  return differences;
}

function serializeWithStates(checkpoint: Checkpoint, serializedStates: string): string {
  const withoutStates = serialize({ ...checkpoint, states: null });
  return withoutStates.replace('"states":null', `"states":${serializedStates}`);
}
