import type { StreamInputInfo } from '@dstream/core';

/**
 * The records of one partition that belong to one batch of a direct stream: offsets
 * `fromOffset` (inclusive) to `untilOffset` (exclusive), as decimal strings (Spark's
 * `OffsetRange`). A range is by offset, not by count: with transactional producers or
 * compacted topics, some offsets hold no record (commit markers, removed records), so a range
 * may hold fewer records than `untilOffset - fromOffset`.
 */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: string;
  readonly untilOffset: string;
}

/** The metadata a direct stream records for each batch. */
export interface KafkaDirectBatchMetadata {
  /** One range per partition, in the order of the batch's partitions. */
  readonly offsetRanges: readonly OffsetRange[];
  /** The consumer group the stream commits to, when it has one. */
  readonly groupId?: string;
}

/**
 * The offset ranges of a direct stream's batch, from its input metadata: pass an entry of
 * `ssc.inputInfoOf(time)`, of a transactional sink's `ctx.inputs`, of a listener's
 * `batchInfo.streamIdToInputInfo`, or the metadata itself. `undefined` when the input is not a
 * direct Kafka stream.
 */
export function offsetRangesOf(
  input: StreamInputInfo | Readonly<Record<string, unknown>> | undefined,
): readonly OffsetRange[] | undefined {
  if (input === undefined || input === null) return undefined;
  const metadata = isInputInfo(input) ? input.metadata : input;
  const ranges = metadata.offsetRanges;
  if (!Array.isArray(ranges)) return undefined;
  return ranges.every(isOffsetRange) ? ranges : undefined;
}

/** The number of offsets a range spans (`untilOffset - fromOffset`). */
export function offsetRangeSize(range: OffsetRange): bigint {
  return BigInt(range.untilOffset) - BigInt(range.fromOffset);
}

function isInputInfo(input: object): input is StreamInputInfo {
  return (
    'metadata' in input &&
    'streamId' in input &&
    typeof (input as StreamInputInfo).metadata === 'object'
  );
}

function isOffsetRange(value: unknown): value is OffsetRange {
  if (value === null || typeof value !== 'object') return false;
  const range = value as Record<string, unknown>;
  return (
    typeof range.topic === 'string' &&
    typeof range.partition === 'number' &&
    typeof range.fromOffset === 'string' &&
    typeof range.untilOffset === 'string'
  );
}

/** Whether offset `a` is below offset `b`; both decimal strings without leading zeros. */
export function offsetBelow(a: string, b: string): boolean {
  return a.length < b.length || (a.length === b.length && a < b);
}
