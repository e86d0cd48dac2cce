import type { TopicPartitionOffset } from './kafka-client.js';

/** The offsets of one stored block, waiting for the engine to acknowledge it. */
export interface PendingRange {
  /** The partition the block came from, in the consumer session that read it. */
  readonly track: PartitionTrack;
  /** The offset after the block's last record: what to commit once it is acknowledged. */
  readonly until: bigint;
  acknowledged: boolean;
}

/**
 * What one consumer session stored from one partition and what of it may be committed. Blocks
 * are acknowledged in any order (batches complete in order, but acknowledgement after storing
 * and after processing interleave), and only a prefix of fully acknowledged blocks is ever
 * committed: a committed offset never passes a record that was not acknowledged.
 */
export class PartitionTrack {
  private ranges: PendingRange[] = [];
  private head = 0;
  /** Every stored block below this offset was acknowledged: the offset that may be committed. */
  committable: bigint | undefined;
  /** The offset last committed by this session. */
  committed: bigint | undefined;
  /** Set when the partition was revoked: nothing of it is committed by this session any more. */
  revoked = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The session's set of partitions this track belongs to. */
    readonly owner: PartitionTracks,
  ) {}

  /** Records a stored block whose last offset is `until - 1`. */
  add(until: bigint): PendingRange {
    const range: PendingRange = { track: this, until, acknowledged: false };
    this.ranges.push(range);
    return range;
  }

  /** Marks `range` acknowledged; returns whether the committable offset advanced. */
  acknowledge(range: PendingRange): boolean {
    if (range.track !== this || range.acknowledged) return false;
    range.acknowledged = true;
    if (this.revoked) return false;
    const ranges = this.ranges;
    let advanced = false;
    while (this.head < ranges.length && ranges[this.head].acknowledged) {
      this.committable = ranges[this.head].until;
      this.head++;
      advanced = true;
    }
    if (this.head > 256 && this.head * 2 > ranges.length) {
      this.ranges = ranges.slice(this.head);
      this.head = 0;
    }
    return advanced;
  }

  /** Blocks stored but not yet acknowledged. */
  get pendingCount(): number {
    return this.ranges.length - this.head;
  }

  /** The offset to commit now, if it advanced since the last commit. */
  due(): TopicPartitionOffset | undefined {
    if (this.revoked || this.committable === undefined) return undefined;
    if (this.committed !== undefined && this.committable <= this.committed) return undefined;
    return { topic: this.topic, partition: this.partition, offset: this.committable.toString() };
  }
}

/** The partitions of one consumer session, keyed by topic and partition. */
export class PartitionTracks {
  private readonly tracks = new Map<string, Map<number, PartitionTrack>>();

  /** The track of a partition, created when first seen. */
  get(topic: string, partition: number): PartitionTrack {
    let byPartition = this.tracks.get(topic);
    if (byPartition === undefined) this.tracks.set(topic, (byPartition = new Map()));
    let track = byPartition.get(partition);
    if (track === undefined)
      byPartition.set(partition, (track = new PartitionTrack(topic, partition, this)));
    return track;
  }

  /** Revokes every partition: their blocks are never committed by this session. */
  revokeAll(): void {
    for (const byPartition of this.tracks.values())
      for (const track of byPartition.values()) track.revoked = true;
    this.tracks.clear();
  }

  /** Offsets that advanced since they were last committed. */
  due(): TopicPartitionOffset[] {
    const due: TopicPartitionOffset[] = [];
    for (const byPartition of this.tracks.values()) {
      for (const track of byPartition.values()) {
        const offset = track.due();
        if (offset !== undefined) due.push(offset);
      }
    }
    return due;
  }

  /** Marks offsets as committed. */
  markCommitted(offsets: readonly TopicPartitionOffset[]): void {
    for (const { topic, partition, offset } of offsets) {
      const track = this.tracks.get(topic)?.get(partition);
      if (track === undefined) continue;
      const value = BigInt(offset);
      if (track.committed === undefined || value > track.committed) track.committed = value;
    }
  }

  /** Whether blocks are still waiting for acknowledgement or commit. */
  hasUncommitted(): boolean {
    for (const byPartition of this.tracks.values()) {
      for (const track of byPartition.values())
        if (track.pendingCount > 0 || track.due() !== undefined) return true;
    }
    return false;
  }
}
