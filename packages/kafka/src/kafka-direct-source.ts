import {
  Batch,
  IllegalStateError,
  type InputBatch,
  type InputSource,
  type Logger,
} from '@dstream/core';
import type {
  FetchedMessage,
  KafkaAdmin,
  KafkaClient,
  PartitionOffsets,
  TopicPartitionOffset,
} from './kafka-client.js';
import type { ResolvedConsumerTuning } from './kafka-consumer-options.js';
import { KafkaError } from './kafka-error.js';
import type { KafkaRecord } from './kafka-record.js';
import type { KafkaRecordDecoder } from './kafka-record-decoder.js';
import { DirectStreamReader } from './direct-stream-reader.js';
import { offsetRangesOf, type KafkaDirectBatchMetadata, type OffsetRange } from './offset-range.js';
import {
  planOffsetRanges,
  type PartitionPosition,
  type PlannedRange,
} from './offset-range-planner.js';

/** Where a direct stream starts: explicit offsets are per topic, then per partition. */
export type StartingOffsets =
  'committed' | 'earliest' | 'latest' | Readonly<Record<string, Readonly<Record<number, bigint>>>>;

/** Everything a {@link KafkaDirectSource} needs, validated. */
export interface KafkaDirectSourceSettings<K, V> {
  readonly client: KafkaClient;
  readonly topics: readonly string[];
  readonly groupId: string | undefined;
  /** The group the reader joins: `groupId`, or a private one when none is given. */
  readonly readerGroupId: string;
  readonly startingOffsets: StartingOffsets;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly commitOffsets: boolean;
  readonly maxRatePerPartition: number | undefined;
  readonly batchInterval: number;
  readonly readTimeout: number;
  readonly maxBufferedRecordsPerPartition: number;
  readonly tuning: ResolvedConsumerTuning;
  readonly decoder: KafkaRecordDecoder<K, V>;
  readonly logger: Logger;
}

/**
 * What a direct stream must remember to resume exactly: the next offset of every partition and
 * the ranges of batches that were decided but not yet completed. Plain data, safe to serialize.
 */
export interface KafkaDirectStreamSnapshot {
  /** Per topic, per partition: the next offset the stream reads. */
  readonly positions: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Batches decided but not completed, oldest first. */
  readonly batches: readonly {
    readonly time: number;
    readonly offsetRanges: readonly OffsetRange[];
  }[];
  /**
   * The consumer group a transactional sink commits the stream's offsets to, in the same
   * transactions as its output (absent otherwise). On recovery the stream resumes from that
   * group's committed offsets, not from the positions and batches above: a batch whose
   * transaction committed after this snapshot was taken must not be written again.
   */
  readonly transactionalGroupId?: string;
}

interface PendingBatch {
  readonly time: number;
  readonly ranges: readonly OffsetRange[];
  completed: boolean;
}

interface RangeRead {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly fromText: string;
  until: bigint;
  untilText: string;
  readonly messages: FetchedMessage[];
  done: boolean;
}

/** Links batch metadata to the direct stream that produced it (for transactional sinks). */
const sourcesByMetadata = new WeakMap<object, KafkaDirectSource<unknown, unknown>>();

/** The direct stream that produced a batch's metadata, if any. */
export function directSourceOf(metadata: object): KafkaDirectSource<unknown, unknown> | undefined {
  return sourcesByMetadata.get(metadata);
}

const HISTORY = 128;

/**
 * The input of a direct stream (Spark's DirectKafkaInputDStream): for each batch time it decides
 * an offset range per partition, reads exactly those offsets, and, once every output of the
 * batch succeeded, commits the ranges' ends to the consumer group. Commits never pass a batch
 * that failed: after a failure they stop, and a new context started from the committed offsets
 * reprocesses what the failed batch held.
 */
export class KafkaDirectSource<K, V> implements InputSource<KafkaRecord<K, V>> {
  readonly kind = 'kafkaDirect';
  private readonly reader: DirectStreamReader;
  private admin: KafkaAdmin | undefined;
  private readonly positions = new Map<string, Map<number, bigint>>();
  private preparing: Promise<void> | undefined;
  private initialized = false;
  private readonly pending: PendingBatch[] = [];
  private readonly history = new Map<number, readonly OffsetRange[]>();
  private readonly uncommitted = new Map<string, TopicPartitionOffset>();
  private commitsStopped = false;
  private commitsHandedOver = false;
  /** The group a transactional sink commits this stream's offsets to, with its output. */
  private transactionalGroupId: string | undefined;
  /** Set by a restore whose snapshot says offsets were committed with transactions. */
  private resumeFromTransactions = false;
  private restoredPositions: Map<string, Map<number, bigint>> | undefined;
  private readonly restoredRanges = new Map<number, readonly OffsetRange[]>();
  private started = false;
  private estimatedRate: number | undefined;
  private readonly warnedNotAssigned = new Set<string>();

  constructor(private readonly settings: KafkaDirectSourceSettings<K, V>) {
    const { client, tuning } = settings;
    this.reader = new DirectStreamReader(
      () =>
        client.groupConsumer({
          groupId: settings.readerGroupId,
          topics: settings.topics,
          fromBeginning: true,
          readUncommitted: tuning.readUncommitted,
          sessionTimeout: tuning.sessionTimeout,
          heartbeatInterval: tuning.heartbeatInterval,
          maxBytesPerPartition: tuning.maxBytesPerPartition,
          maxWaitTime: tuning.maxWaitTime,
          metadataMaxAge: tuning.metadataMaxAge,
        }),
      settings.maxBufferedRecordsPerPartition,
      settings.logger,
    );
  }

  // ------------------------------------------------------------ InputSource

  start(): void {
    this.started = true;
    // Join the group early so the first batch finds the reader ready; errors surface in batches.
    this.prepare().catch(() => {});
  }

  async stop(): Promise<void> {
    await this.preparing?.catch(() => {});
    await this.reader.stop();
    await this.admin?.close();
    this.admin = undefined;
  }

  async computeBatch(time: number): Promise<InputBatch<KafkaRecord<K, V>>> {
    await this.prepare();
    // Starts the reader again if it failed since.
    await this.reader.start();
    const restored = this.restoredRanges.get(time);
    let planned: PlannedRange[];
    if (restored !== undefined) {
      this.restoredRanges.delete(time);
      planned = restored.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        from: BigInt(r.fromOffset),
        until: BigInt(r.untilOffset),
      }));
    } else {
      planned = planOffsetRanges(await this.currentPositions(), {
        maxRatePerPartition: this.settings.maxRatePerPartition,
        estimatedRate: this.estimatedRate,
        batchInterval: this.settings.batchInterval,
      });
    }
    const reads = await this.read(planned, restored !== undefined);
    const partitions = this.decode(reads);
    await this.settings.decoder.flushDeadLetters();
    const ranges: OffsetRange[] = reads.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      fromOffset: r.from.toString(),
      untilOffset: r.untilText,
    }));
    for (const r of reads) this.positionsOf(r.topic).set(r.partition, r.until);
    this.pending.push({ time, ranges, completed: false });
    this.history.set(time, ranges);
    if (this.history.size > HISTORY)
      this.history.delete(this.history.keys().next().value as number);
    const metadata: KafkaDirectBatchMetadata =
      this.settings.groupId === undefined
        ? { offsetRanges: ranges }
        : { offsetRanges: ranges, groupId: this.settings.groupId };
    sourcesByMetadata.set(metadata, this);
    return {
      batch: partitions.length === 0 ? Batch.empty() : Batch.fromPartitions(partitions),
      metadata: metadata as unknown as Readonly<Record<string, unknown>>,
    };
  }

  async onBatchCompleted(time: number): Promise<void> {
    const index = this.pending.findIndex((batch) => batch.time === time);
    if (index < 0) return;
    this.pending[index].completed = true;
    if (index > 0 && !this.commitsStopped) {
      // Batches complete in order: an earlier one still pending has failed.
      this.commitsStopped = true;
      this.settings.logger.warn(
        { failedBatchTime: this.pending[0].time, groupId: this.settings.groupId },
        'A batch of the Kafka direct stream failed: offsets are no longer committed, so that a new context started from the committed offsets processes its records again',
      );
    }
    if (this.commitsStopped) {
      this.pending.splice(0, index + 1);
      return;
    }
    while (this.pending.length > 0 && this.pending[0].completed) {
      const batch = this.pending.shift() as PendingBatch;
      for (const range of batch.ranges) {
        this.uncommitted.set(`${range.topic}\u0000${range.partition}`, {
          topic: range.topic,
          partition: range.partition,
          offset: range.untilOffset,
        });
      }
    }
    if (!this.commitsEnabled || this.uncommitted.size === 0) return;
    const offsets = [...this.uncommitted.values()];
    try {
      await this.reader.commit(offsets);
      for (const o of offsets) {
        const key = `${o.topic}\u0000${o.partition}`;
        if (this.uncommitted.get(key) === o) this.uncommitted.delete(key);
      }
    } catch (error) {
      this.settings.logger.warn(
        { err: error, groupId: this.settings.groupId },
        'Committing offsets of the Kafka direct stream failed; retrying after the next batch',
      );
    }
  }

  /** Backpressure: the rate, over all partitions, the engine allows now. */
  onRateUpdate(recordsPerSecond: number): void {
    this.estimatedRate = recordsPerSecond;
  }

  // ------------------------------------------------------------ stream handle

  /** The offset ranges of the batch at `time`, while it is recent. */
  offsetRangesAt(time: number): readonly OffsetRange[] | undefined {
    return this.history.get(time);
  }

  /** Positions and undecided ranges, to resume exactly (see {@link KafkaDirectStreamSnapshot}). */
  snapshot(): KafkaDirectStreamSnapshot {
    const positions: Record<string, Record<string, string>> = {};
    for (const [topic, byPartition] of this.positions) {
      positions[topic] = {};
      for (const [partition, offset] of byPartition)
        positions[topic][String(partition)] = offset.toString();
    }
    const batches = this.pending
      .filter((b) => !b.completed)
      .map((b) => ({ time: b.time, offsetRanges: b.ranges }));
    return this.transactionalGroupId === undefined
      ? { positions, batches }
      : { positions, batches, transactionalGroupId: this.transactionalGroupId };
  }

  /**
   * Resumes from a snapshot: its pending batches are read again with exactly their ranges. When
   * the snapshot says a transactional sink committed the offsets (`transactionalGroupId`), the
   * stream resumes instead from that group's committed offsets, which say exactly what output is
   * committed; partitions the group has no offset for resume from the snapshot.
   */
  restore(snapshot: KafkaDirectStreamSnapshot): void {
    if (this.started) {
      throw new IllegalStateError(
        'DIRECT_STREAM_STARTED',
        'A Kafka direct stream can only be restored before its context starts',
      );
    }
    if (!isSnapshot(snapshot)) {
      throw new IllegalStateError(
        'DIRECT_STREAM_SNAPSHOT_INVALID',
        'Cannot restore a Kafka direct stream from this snapshot: expected { positions, batches } as snapshot() returns it',
      );
    }
    const positions = new Map<string, Map<number, bigint>>();
    for (const [topic, byPartition] of Object.entries(snapshot.positions)) {
      const map = new Map<number, bigint>();
      for (const [partition, offset] of Object.entries(byPartition))
        map.set(Number(partition), BigInt(offset));
      positions.set(topic, map);
    }
    for (const batch of snapshot.batches) {
      this.restoredRanges.set(batch.time, batch.offsetRanges);
      for (const range of batch.offsetRanges) {
        const byPartition = positions.get(range.topic) ?? new Map<number, bigint>();
        positions.set(range.topic, byPartition);
        const from = BigInt(range.fromOffset);
        const current = byPartition.get(range.partition);
        if (current === undefined || from < current) byPartition.set(range.partition, from);
      }
    }
    this.restoredPositions = positions;
    if (snapshot.transactionalGroupId !== undefined) {
      // The previous run's transactions committed the offsets; this run's sink will again.
      this.transactionalGroupId = snapshot.transactionalGroupId;
      this.resumeFromTransactions = true;
      this.commitsHandedOver = true;
    }
  }

  /**
   * Stops this stream's own commits: a transactional sink commits its offsets to `groupId`
   * with its output instead.
   */
  handOverCommits(sinkName: string, groupId: string): void {
    this.transactionalGroupId = groupId;
    if (this.commitsHandedOver) return;
    this.commitsHandedOver = true;
    this.settings.logger.info(
      { sink: sinkName, groupId },
      'Offsets of the Kafka direct stream are committed by a transactional sink from now on',
    );
  }

  private get commitsEnabled(): boolean {
    return (
      this.settings.groupId !== undefined && this.settings.commitOffsets && !this.commitsHandedOver
    );
  }

  // ------------------------------------------------------------ positions

  /** Checks the topics, starts the reader and decides the starting offsets, once. */
  private prepare(): Promise<void> {
    this.preparing ??= this.prepareOnce().catch((error: unknown) => {
      this.preparing = undefined;
      throw error;
    });
    return this.preparing;
  }

  private async prepareOnce(): Promise<void> {
    const admin = this.adminOf();
    if (!this.initialized) {
      const existing = await admin.listTopics();
      const missing = this.settings.topics.filter((topic) => !existing.includes(topic));
      if (missing.length > 0) {
        throw new KafkaError(
          'KAFKA_UNKNOWN_TOPIC',
          `Kafka topic ${missing.map((t) => `"${t}"`).join(', ')} does not exist on brokers ${this.settings.client.brokers.join(',')}; the direct stream tries again at the next batch`,
          {
            brokers: this.settings.client.brokers,
            topic: missing[0],
            groupId: this.settings.groupId,
          },
          { retriable: true },
        );
      }
    }
    await this.reader.start();
    if (!this.initialized) await this.initializePositions(admin);
  }

  private async initializePositions(admin: KafkaAdmin): Promise<void> {
    const { settings } = this;
    const offsets = await this.topicOffsets(admin);
    // After a recovery, the checkpoint's positions and batches decide where the stream resumes,
    // unless a transactional sink committed the offsets with its output: the group's committed
    // offsets are then exact, and a checkpoint may predate transactions committed after it.
    const committedGroup = this.resumeFromTransactions
      ? this.transactionalGroupId
      : settings.startingOffsets === 'committed' && this.restoredPositions === undefined
        ? settings.groupId
        : undefined;
    let committed = new Map<string, bigint>();
    if (committedGroup !== undefined) {
      const entries = await admin.committedOffsets(committedGroup, settings.topics);
      committed = new Map(
        entries
          .filter((e) => BigInt(e.offset) >= 0n)
          .map((e) => [`${e.topic}\u0000${e.partition}`, BigInt(e.offset)]),
      );
    }
    if (this.resumeFromTransactions && this.restoredRanges.size > 0) {
      settings.logger.info(
        { groupId: committedGroup, batches: [...this.restoredRanges.keys()] },
        'Kafka direct stream resumes from the offsets its transactions committed; the ranges of batches pending in the checkpoint are planned again',
      );
      this.restoredRanges.clear();
    }
    const starting = settings.startingOffsets;
    const resetTo =
      starting === 'earliest' || starting === 'latest' ? starting : settings.autoOffsetReset;
    for (const [topic, partitions] of offsets) {
      for (const { partition, low, high } of partitions) {
        const key = `${topic}\u0000${partition}`;
        const restored = this.restoredPositions?.get(topic)?.get(partition);
        const explicit =
          typeof settings.startingOffsets === 'object'
            ? settings.startingOffsets[topic]?.[partition]
            : undefined;
        const fallback = resetTo === 'earliest' ? BigInt(low) : BigInt(high);
        let from = this.resumeFromTransactions
          ? (committed.get(key) ?? restored ?? explicit ?? fallback)
          : (restored ?? explicit ?? committed.get(key) ?? fallback);
        if (from < BigInt(low) || from > BigInt(high)) {
          settings.logger.warn(
            { topic, partition, offset: from.toString(), low, high },
            'Starting offset of the Kafka direct stream is outside the partition; using the nearest available offset',
          );
          from = from < BigInt(low) ? BigInt(low) : BigInt(high);
        }
        this.positionsOf(topic).set(partition, from);
        this.reader.startAt(topic, partition, from);
      }
    }
    this.initialized = true;
  }

  /** Every partition's position and latest offset; partitions added since are started at their beginning. */
  private async currentPositions(): Promise<PartitionPosition[]> {
    const offsets = await this.topicOffsets(this.adminOf());
    const positions: PartitionPosition[] = [];
    for (const [topic, partitions] of offsets) {
      const known = this.positionsOf(topic);
      for (const { partition, low, high } of partitions) {
        let from = known.get(partition);
        if (from === undefined) {
          from = BigInt(low);
          known.set(partition, from);
          this.reader.startAt(topic, partition, from);
          this.settings.logger.info(
            { topic, partition, offset: low },
            'Kafka direct stream picked up a new partition',
          );
        }
        positions.push({ topic, partition, from, latest: BigInt(high) });
      }
    }
    return positions;
  }

  private async topicOffsets(admin: KafkaAdmin): Promise<Map<string, PartitionOffsets[]>> {
    const topics = this.settings.topics;
    const all = await Promise.all(topics.map((topic) => admin.topicOffsets(topic)));
    return new Map(topics.map((topic, i) => [topic, all[i]]));
  }

  private positionsOf(topic: string): Map<number, bigint> {
    let byPartition = this.positions.get(topic);
    if (byPartition === undefined) this.positions.set(topic, (byPartition = new Map()));
    return byPartition;
  }

  private adminOf(): KafkaAdmin {
    this.admin ??= this.settings.client.admin();
    return this.admin;
  }

  // ------------------------------------------------------------ reading

  /**
   * Takes each range's records from the reader. A range the reader cannot finish (partition
   * not assigned yet, records of an open transaction, no progress for `readTimeout`) is cut
   * where reading stopped, so the batch holds exactly its ranges; the rest goes to the next
   * batch. Ranges being replayed must be read in full.
   */
  private async read(planned: readonly PlannedRange[], exact: boolean): Promise<RangeRead[]> {
    const reader = this.reader;
    const reads: RangeRead[] = planned.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      from: p.from,
      fromText: p.from.toString(),
      until: p.until,
      untilText: p.until.toString(),
      messages: [],
      done: p.until <= p.from,
    }));
    const timeout = this.settings.readTimeout;
    for (;;) {
      let waiting = false;
      for (const r of reads) {
        if (r.done) continue;
        reader.take(r.topic, r.partition, r.fromText, r.untilText, r.messages);
        const position = reader.position(r.topic, r.partition);
        if (position !== undefined && position >= r.until) r.done = true;
        else if (!exact && !reader.isAssigned(r.topic, r.partition)) {
          if (reader.joined) this.warnNotAssigned(r);
          this.cut(r, position);
        } else waiting = true;
      }
      if (!waiting) return reads;
      if (!(await reader.waitForProgress(timeout))) break;
    }
    if (exact) {
      const r = reads.find((read) => !read.done) as RangeRead;
      for (const read of reads) reader.putBack(read.topic, read.partition, read.messages);
      throw new KafkaError(
        'KAFKA_RANGE_NOT_READABLE',
        `Kafka direct stream could not read offsets ${r.from}-${r.until} of topic "${r.topic}" partition ${r.partition} within ${timeout} ms`,
        { brokers: this.settings.client.brokers, topic: r.topic, partition: r.partition },
        { retriable: true },
      );
    }
    for (const r of reads) if (!r.done) this.cut(r, reader.position(r.topic, r.partition));
    return reads;
  }

  private warnNotAssigned(read: RangeRead): void {
    const key = `${read.topic}\u0000${read.partition}`;
    if (this.warnedNotAssigned.has(key)) return;
    this.warnedNotAssigned.add(key);
    this.settings.logger.warn(
      { topic: read.topic, partition: read.partition, groupId: this.settings.readerGroupId },
      'A partition of the Kafka direct stream is not assigned to its reader: another member of the group holds it (a direct stream must be the only member of its group); it is not read until it is assigned',
    );
  }

  private cut(read: RangeRead, position: bigint | undefined): void {
    const until =
      position === undefined || position < read.from
        ? read.from
        : position < read.until
          ? position
          : read.until;
    if (until !== read.until) {
      this.settings.logger.debug(
        {
          topic: read.topic,
          partition: read.partition,
          planned: read.untilText,
          until: until.toString(),
        },
        'Kafka direct stream cut a range short: the rest goes to the next batch',
      );
      read.until = until;
      read.untilText = until.toString();
    }
    read.done = true;
  }

  private decode(reads: readonly RangeRead[]): KafkaRecord<K, V>[][] {
    const partitions: KafkaRecord<K, V>[][] = [];
    try {
      for (const r of reads) {
        const records: KafkaRecord<K, V>[] = [];
        this.settings.decoder.decode(r.topic, r.partition, r.messages, records);
        partitions.push(records);
      }
    } catch (error) {
      // The batch fails and nothing was consumed: the same ranges are read again next time.
      for (const r of reads) this.reader.putBack(r.topic, r.partition, r.messages);
      throw error;
    }
    return partitions;
  }
}

function isSnapshot(value: unknown): value is KafkaDirectStreamSnapshot {
  if (value === null || typeof value !== 'object') return false;
  const { positions, batches, transactionalGroupId } = value as Record<string, unknown>;
  if (positions === null || typeof positions !== 'object' || !Array.isArray(batches)) return false;
  const offsets = Object.values(positions as Record<string, unknown>).flatMap((byPartition) =>
    byPartition !== null && typeof byPartition === 'object' ? Object.values(byPartition) : [null],
  );
  return (
    offsets.every((offset) => typeof offset === 'string' && /^\d+$/.test(offset)) &&
    batches.every(
      (batch: unknown) =>
        batch !== null &&
        typeof batch === 'object' &&
        typeof (batch as { time?: unknown }).time === 'number' &&
        offsetRangesOf(batch as Record<string, unknown>) !== undefined,
    ) &&
    (transactionalGroupId === undefined ||
      (typeof transactionalGroupId === 'string' && transactionalGroupId.length > 0))
  );
}
