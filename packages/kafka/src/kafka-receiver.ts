import {
  ReconnectBackoff,
  Receiver,
  type AcknowledgeableBlock,
  type ReconnectBackoffSettings,
  type AckMode,
  type Logger,
  type ReceiverCapabilities,
} from '@dstream/core';
import {
  createKafkaClient,
  toKafkaError,
  type FetchedBatch,
  type GroupConsumer,
  type KafkaClient,
  type TopicPartitions,
} from './kafka-client.js';
import type { ResolvedKafkaClientOptions } from './kafka-client-options.js';
import type { ResolvedConsumerTuning } from './kafka-consumer-options.js';
import { KafkaError } from './kafka-error.js';
import type { KafkaRecord } from './kafka-record.js';
import type { KafkaRecordDecoder } from './kafka-record-decoder.js';
import { PartitionTracks, type PendingRange } from './partition-commit-tracker.js';

/** Everything a {@link KafkaReceiver} needs, validated. */
export interface KafkaReceiverSettings<K, V> {
  readonly client: Omit<ResolvedKafkaClientOptions, 'logger'>;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly ackOn: AckMode;
  readonly fromBeginning: boolean;
  readonly tuning: ResolvedConsumerTuning;
  readonly rebalanceTimeout: number | undefined;
  readonly reconnectBackoff: ReconnectBackoffSettings;
  /** Milliseconds between two blocks (the context's block interval). */
  readonly blockInterval: number;
  /** Records fetched but not yet stored before the consumer is paused. */
  readonly maxBufferedRecords: number;
  /** The decoder of fetched records, given the receiver's logger (created at the first start). */
  readonly createDecoder: (logger: Logger) => KafkaRecordDecoder<K, V>;
}

/** Milliseconds a stopping receiver waits for the blocks it is storing. */
const STOP_WAIT = 10_000;

/** The records of one partition fetched since the last block was cut. */
interface PendingBlock<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly records: KafkaRecord<K, V>[];
  /** Per record, the range (fetch) it belongs to: the block's acknowledgement tokens. */
  readonly tokens: PendingRange[];
  until: bigint;
}

/**
 * `running`: fetching and storing. `closing`: stopped (`onStop`), fetching nothing, but still a
 * member of the group so that the blocks it stored can be committed once acknowledged.
 * `closed`: left the group.
 */
type SessionState = 'running' | 'closing' | 'closed';

/** One consumer incarnation: a group member from `onStart` until `onStop` or `onClose`. */
class ConsumerSession<K, V> {
  readonly tracks = new PartitionTracks();
  state: SessionState = 'running';
  assigned: readonly TopicPartitions[] = [];
  /** Fetched records per partition, waiting for the next block. */
  pending = new Map<string, PendingBlock<K, V>>();
  buffered = 0;
  paused = false;
  storing: Promise<void> | undefined;
  cutTimer: NodeJS.Timeout | undefined;
  private commitRequested = false;
  private commitLoop: Promise<void> | undefined;

  constructor(
    readonly consumer: GroupConsumer,
    private readonly onCommitError: (error: unknown) => void,
  ) {}

  /** A new assignment: every earlier partition counts as revoked (eager rebalancing). */
  assign(assignment: readonly TopicPartitions[]): void {
    this.tracks.revokeAll();
    this.assigned = assignment;
    // Records of revoked partitions not yet stored are dropped: their new owner reads them.
    this.pending.clear();
    this.buffered = 0;
    if (this.paused || this.state !== 'running') this.consumer.pause(assignment);
  }

  /** Stops fetching; the consumer stays a member of the group. */
  stopFetching(): void {
    this.state = 'closing';
    clearInterval(this.cutTimer);
    this.consumer.pause(this.assigned);
  }

  /** Whether the session has left the group (or been told to). */
  hasLeft(): boolean {
    return this.state === 'closed';
  }

  /** Commits what was acknowledged so far, then leaves the group. */
  async leave(): Promise<void> {
    if (this.state === 'closed') return;
    await this.requestCommit();
    this.state = 'closed';
    await this.consumer.stop();
  }

  /** Commits what became committable, coalescing requests: one commit in flight at a time. */
  requestCommit(): Promise<void> {
    this.commitRequested = true;
    this.commitLoop ??= this.runCommits().finally(() => {
      this.commitLoop = undefined;
    });
    return this.commitLoop;
  }

  private async runCommits(): Promise<void> {
    while (this.commitRequested && this.state !== 'closed') {
      this.commitRequested = false;
      const due = this.tracks.due();
      if (due.length === 0) continue;
      try {
        await this.consumer.commit(due);
        this.tracks.markCommitted(due);
      } catch (error) {
        this.onCommitError(error);
        return;
      }
    }
  }
}

/**
 * A consumer-group receiver. Fetched records are collected per partition and cut into one
 * block per partition every block interval, so each block's metadata holds its `topic`,
 * `partition` and offset range (`fromOffset`, `untilOffset` exclusive, `count`). Offsets are
 * committed only after the engine acknowledges the blocks: once stored (`ackOn: 'stored'`) or
 * once every output of their batch finished (`ackOn: 'processed'`), and only up to the first
 * block not yet acknowledged. On a rebalance, blocks of revoked partitions are not committed by
 * this member; the new owner reads them again from the last committed offset, so nothing is
 * lost. When the engine takes blocks more slowly than records arrive, the consumer's partitions
 * are paused once `maxBufferedRecords` are waiting and resumed when half of them are stored.
 *
 * `onStop` stops fetching and hands over what was fetched. With `ackOn: 'processed'`, while
 * blocks it stored are still being processed, the consumer stays a member of the group,
 * fetching nothing, so that their offsets can be committed when the final batches complete
 * (a graceful stop); it leaves the group in `onClose`, or before a restart joins it again.
 */
export class KafkaReceiver<K, V> extends Receiver<KafkaRecord<K, V>> {
  readonly capabilities: ReceiverCapabilities = { reliable: true, replayable: true, ordered: true };
  private client: KafkaClient | undefined;
  private decoder: KafkaRecordDecoder<K, V> | undefined;
  /** The session fetching now, between `onStart` and `onStop`. */
  private session: ConsumerSession<K, V> | undefined;
  /** A stopped session still a member of the group, committing its last acknowledgements. */
  private closing: ConsumerSession<K, V> | undefined;
  private readonly backoff: ReconnectBackoff;

  constructor(private readonly settings: KafkaReceiverSettings<K, V>) {
    super();
    this.ackOn = settings.ackOn;
    this.backoff = new ReconnectBackoff(settings.reconnectBackoff);
  }

  override get name(): string {
    return `KafkaReceiver(${this.settings.topics.join(',')})`;
  }

  onStart(): void {
    // A session kept for its last commits leaves first: this session reads its uncommitted
    // blocks again, from the committed offsets.
    const previous = this.closing;
    this.closing = undefined;
    previous?.tracks.revokeAll();
    this.decoder ??= this.settings.createDecoder(this.logger);
    const client = this.clientOf();
    const { settings } = this;
    const consumer = client.groupConsumer({
      groupId: settings.groupId,
      topics: settings.topics,
      fromBeginning: settings.fromBeginning,
      readUncommitted: settings.tuning.readUncommitted,
      sessionTimeout: settings.tuning.sessionTimeout,
      heartbeatInterval: settings.tuning.heartbeatInterval,
      rebalanceTimeout: settings.rebalanceTimeout,
      maxBytesPerPartition: settings.tuning.maxBytesPerPartition,
      maxWaitTime: settings.tuning.maxWaitTime,
      metadataMaxAge: settings.tuning.metadataMaxAge,
    });
    const session = new ConsumerSession<K, V>(consumer, (error) => this.reportError(error));
    this.session = session;
    session.cutTimer = setInterval(() => this.cutBlocks(session), settings.blockInterval);
    session.cutTimer.unref();
    void this.run(session, client, previous);
  }

  async onStop(): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    this.session = undefined;
    session.stopFetching();
    // Hand over what was fetched, and commit what is acknowledged already.
    await Promise.race([this.storeAll(session), delay(STOP_WAIT)]);
    await session.requestCommit();
    if (this.ackOn === 'processed' && session.tracks.hasUncommitted()) {
      // The batches holding its blocks may still complete (a graceful stop): stay a member of
      // the group until onClose, or until the next start, to commit them.
      this.closing = session;
      return;
    }
    await session.leave();
  }

  override onAcknowledge(block: AcknowledgeableBlock): void {
    const tokens = block.ackTokens as readonly PendingRange[];
    let previous: PendingRange | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const range = tokens[i];
      if (range !== previous) this.acknowledgeRange(range);
      previous = range;
    }
  }

  /**
   * Called once the context has stopped, after the final batches were acknowledged: commits
   * their offsets and leaves the group.
   */
  override async onClose(): Promise<void> {
    const closing = this.closing;
    this.closing = undefined;
    await closing?.leave();
  }

  // ------------------------------------------------------------ consuming

  private clientOf(): KafkaClient {
    this.client ??= createKafkaClient({ ...this.settings.client, logger: this.logger });
    return this.client;
  }

  private async run(
    session: ConsumerSession<K, V>,
    client: KafkaClient,
    previous: ConsumerSession<K, V> | undefined,
  ): Promise<void> {
    const { settings } = this;
    try {
      // The member of the previous session leaves before this one joins.
      await previous?.leave();
      const admin = client.admin();
      let existing: string[];
      try {
        existing = await admin.listTopics();
      } finally {
        await admin.close();
      }
      const missing = settings.topics.filter((topic) => !existing.includes(topic));
      if (missing.length > 0) {
        throw new KafkaError(
          'KAFKA_UNKNOWN_TOPIC',
          `Kafka topic ${missing.map((t) => `"${t}"`).join(', ')} does not exist on brokers ${client.brokers.join(',')} (group "${settings.groupId}"); the receiver retries`,
          { brokers: client.brokers, topic: missing[0], groupId: settings.groupId },
          { retriable: true },
        );
      }
      if (session.state !== 'running') return;
      await session.consumer.start({
        onBatch: (batch) => this.onBatch(session, batch),
        onAssigned: (assignment) => {
          session.assign(assignment);
          this.backoff.reset();
        },
        onCrash: (error, willRestart) => {
          if (session !== this.session || session.state !== 'running') return;
          if (willRestart) this.reportError(error);
          else
            this.restart(
              `Kafka consumer of group "${settings.groupId}" failed: ${error.message}`,
              error,
              this.nextDelay(),
            );
        },
      });
      // Stopped while starting: the consumer may have connected after it was told to stop.
      if (session.hasLeft()) await session.consumer.stop();
    } catch (error) {
      if (session !== this.session || session.state !== 'running') return;
      const kafkaError = toKafkaError(error, 'starting the consumer', {
        brokers: client.brokers,
        groupId: settings.groupId,
      });
      this.restart(
        `Kafka receiver could not start: ${kafkaError.message}`,
        kafkaError,
        this.nextDelay(),
      );
    }
  }

  private async onBatch(session: ConsumerSession<K, V>, batch: FetchedBatch): Promise<void> {
    if (session.state !== 'running' || batch.messages.length === 0) return;
    const { topic, partition, messages } = batch;
    const records: KafkaRecord<K, V>[] = [];
    try {
      const decoder = this.decoder!;
      decoder.decode(topic, partition, messages, records);
      await decoder.flushDeadLetters();
    } catch (error) {
      // 'fail': the stream stops at this record and retries it, with backoff.
      this.restart(
        `Kafka receiver cannot decode a record: ${errorMessage(error)}`,
        error,
        this.nextDelay(),
      );
      return;
    }
    if (session.state !== 'running') return;
    const range = session.tracks.get(topic, partition).add(BigInt(batch.lastOffset) + 1n);
    if (records.length === 0) {
      // Every record was skipped or dead-lettered: nothing to store, the offsets may be committed.
      this.acknowledgeRange(range);
      return;
    }
    const key = `${topic}\u0000${partition}`;
    let block = session.pending.get(key);
    if (block === undefined) {
      block = { topic, partition, records, tokens: [], until: range.until };
      session.pending.set(key, block);
    } else {
      const target = block.records;
      for (let i = 0; i < records.length; i++) target.push(records[i]);
    }
    const tokens = block.tokens;
    for (let i = 0; i < records.length; i++) tokens.push(range);
    block.until = range.until;
    session.buffered += records.length;
    if (!session.paused && session.buffered >= this.settings.maxBufferedRecords) {
      session.paused = true;
      session.consumer.pause(session.assigned);
      this.logger.debug(
        { buffered: session.buffered },
        'Kafka receiver paused its consumer: the engine is taking blocks more slowly than they arrive',
      );
    }
  }

  /** Every block interval: one block per partition with what was fetched for it. */
  private cutBlocks(session: ConsumerSession<K, V>): void {
    if (session.storing !== undefined || session.pending.size === 0 || session.state !== 'running')
      return;
    session.storing = this.storeAll(session).finally(() => {
      session.storing = undefined;
    });
  }

  private async storeAll(session: ConsumerSession<K, V>): Promise<void> {
    if (session.storing !== undefined) await session.storing;
    while (session.pending.size > 0) {
      const blocks = [...session.pending.values()];
      session.pending = new Map();
      for (const block of blocks) {
        if (block.tokens[0].track.revoked) continue;
        try {
          await this.awaitCapacity();
          await this.storeBlock(
            block.records,
            {
              topic: block.topic,
              partition: block.partition,
              fromOffset: block.records[0].offset,
              untilOffset: block.until.toString(),
              count: block.records.length,
            },
            block.tokens,
          );
          this.backoff.reset();
        } catch (error) {
          if (!this.isStopped()) {
            this.restart(
              `Kafka receiver could not store a block of topic "${block.topic}" partition ${block.partition}`,
              error,
            );
          }
          return;
        } finally {
          session.buffered = Math.max(0, session.buffered - block.records.length);
        }
        if (
          session.paused &&
          session.buffered < this.settings.maxBufferedRecords / 2 &&
          session.state === 'running'
        ) {
          session.paused = false;
          session.consumer.resume(session.assigned);
          this.logger.debug({ buffered: session.buffered }, 'Kafka receiver resumed its consumer');
        }
      }
      if (session.state === 'running') return;
    }
  }

  // ------------------------------------------------------------ committing

  private acknowledgeRange(range: PendingRange): void {
    const track = range.track;
    if (!track.acknowledge(range)) return;
    // Only the session that stored the block commits it, and only while it is a member.
    for (const session of [this.session, this.closing]) {
      if (session !== undefined && track.owner === session.tracks && session.state !== 'closed') {
        void session.requestCommit();
        return;
      }
    }
  }

  private nextDelay(): number {
    return this.backoff.next();
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
