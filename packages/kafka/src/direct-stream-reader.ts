import type { Logger } from '@dstream/core';
import type {
  FetchedBatch,
  FetchedMessage,
  GroupConsumer,
  TopicPartitionOffset,
  TopicPartitions,
} from './kafka-client.js';
import type { KafkaError } from './kafka-error.js';
import { offsetBelow } from './offset-range.js';

/** What the reader holds of one partition. */
class PartitionBuffer {
  /** The next offset the consumer delivers; `undefined` until the partition is positioned. */
  next: bigint | undefined;
  messages: FetchedMessage[] = [];
  head = 0;
  paused = false;
  assigned = false;

  get size(): number {
    return this.messages.length - this.head;
  }

  clear(): void {
    this.messages = [];
    this.head = 0;
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Reads a direct stream's partitions ahead of the batches: one consumer, the only member of
 * its group, fetches every partition from the position the stream set and buffers what it
 * fetched. A batch then takes exactly the offsets of its ranges from the buffers. A partition
 * whose buffer is full is paused until batches have taken from it, so memory stays bounded.
 */
export class DirectStreamReader {
  private readonly buffers = new Map<string, Map<number, PartitionBuffer>>();
  private consumer: GroupConsumer | undefined;
  private starting: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private stopped = false;
  /** Whether the consumer has joined its group at least once. */
  joined = false;

  constructor(
    private readonly createConsumer: () => GroupConsumer,
    private readonly bufferLimit: number,
    private readonly logger: Logger,
  ) {}

  /** Starts the consumer (again, after it failed); throws a `KafkaError` when it cannot. */
  start(): Promise<void> {
    this.starting ??= this.startConsumer().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.createConsumer();
    this.consumer = consumer;
    try {
      await consumer.start({
        onBatch: (batch) => this.onBatch(batch),
        onAssigned: (assignment) => this.onAssigned(assignment),
        onPositionAdvanced: (topic, partition, lastOffset) =>
          this.advance(topic, partition, lastOffset),
        onCrash: (error, willRestart) => this.onCrash(consumer, error, willRestart),
      });
    } catch (error) {
      if (this.consumer === consumer) this.consumer = undefined;
      throw error;
    }
    if (this.stopped) await consumer.stop();
  }

  /** Positions a partition: the next record the reader delivers is at `offset`. */
  startAt(topic: string, partition: number, offset: bigint): void {
    const buffer = this.bufferOf(topic, partition);
    buffer.next = offset;
    buffer.clear();
    if (buffer.paused) this.setPaused(topic, partition, buffer, false);
    this.consumer?.seek(topic, partition, offset.toString());
  }

  /** Whether the consumer currently fetches this partition. */
  isAssigned(topic: string, partition: number): boolean {
    return this.buffers.get(topic)?.get(partition)?.assigned ?? false;
  }

  /** The offset after everything fetched so far, or `undefined` if not positioned. */
  position(topic: string, partition: number): bigint | undefined {
    return this.buffers.get(topic)?.get(partition)?.next;
  }

  /**
   * Moves the buffered messages of `[from, until)` (decimal offsets) to `out`, in offset order;
   * messages below `from` (already in an earlier batch) are dropped.
   */
  take(topic: string, partition: number, from: string, until: string, out: FetchedMessage[]): void {
    const buffer = this.buffers.get(topic)?.get(partition);
    if (buffer === undefined) return;
    const messages = buffer.messages;
    let head = buffer.head;
    while (head < messages.length && offsetBelow(messages[head].offset, until)) {
      const message = messages[head++];
      if (!offsetBelow(message.offset, from)) out.push(message);
    }
    if (head === messages.length) buffer.clear();
    else if (head > 1024 && head * 2 > messages.length) {
      buffer.messages = messages.slice(head);
      buffer.head = 0;
    } else buffer.head = head;
    if (buffer.paused && buffer.size < this.bufferLimit / 2)
      this.setPaused(topic, partition, buffer, false);
  }

  /** Puts messages taken by {@link take} back at the head of their partition's buffer. */
  putBack(topic: string, partition: number, taken: readonly FetchedMessage[]): void {
    if (taken.length === 0) return;
    const buffer = this.bufferOf(topic, partition);
    buffer.messages = [...taken, ...buffer.messages.slice(buffer.head)];
    buffer.head = 0;
  }

  /** Resolves `true` when something new was fetched, `false` after `timeout` milliseconds. */
  waitForProgress(timeout: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(wake);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(false);
      }, timeout);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
    });
  }

  /** Commits offsets as the group's member. */
  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    await this.consumer?.commit(offsets);
  }

  /** Stops the consumer; safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    await this.starting?.catch(() => {});
    await consumer?.stop();
    this.notify();
  }

  // ------------------------------------------------------------ consumer events

  private onBatch(batch: FetchedBatch): Promise<void> {
    const buffer = this.buffers.get(batch.topic)?.get(batch.partition);
    const next = buffer?.next;
    if (buffer === undefined || next === undefined) return RESOLVED;
    const messages = batch.messages;
    const nextText = next.toString();
    let i = 0;
    // After a re-join the consumer may deliver again what it delivered before: skip it.
    while (i < messages.length && offsetBelow(messages[i].offset, nextText)) i++;
    const target = buffer.messages;
    for (; i < messages.length; i++) target.push(messages[i]);
    const after = BigInt(batch.lastOffset) + 1n;
    if (after > next) buffer.next = after;
    if (!buffer.paused && buffer.size >= this.bufferLimit)
      this.setPaused(batch.topic, batch.partition, buffer, true);
    this.notify();
    return RESOLVED;
  }

  private advance(topic: string, partition: number, lastOffset: string): void {
    const buffer = this.buffers.get(topic)?.get(partition);
    if (buffer?.next === undefined) return;
    const after = BigInt(lastOffset) + 1n;
    if (after > buffer.next) {
      buffer.next = after;
      this.notify();
    }
  }

  private onAssigned(assignment: readonly TopicPartitions[]): void {
    this.joined = true;
    for (const byPartition of this.buffers.values())
      for (const buffer of byPartition.values()) buffer.assigned = false;
    const paused: TopicPartitions[] = [];
    for (const { topic, partitions } of assignment) {
      for (const partition of partitions) {
        const buffer = this.bufferOf(topic, partition);
        buffer.assigned = true;
        // A (re-)join restarts from the group's committed offsets: go back to where the reader was.
        if (buffer.next !== undefined)
          this.consumer?.seek(topic, partition, buffer.next.toString());
        if (buffer.paused) paused.push({ topic, partitions: [partition] });
      }
    }
    this.consumer?.pause(paused);
    this.notify();
  }

  private onCrash(consumer: GroupConsumer, error: KafkaError, willRestart: boolean): void {
    if (consumer !== this.consumer) return;
    this.logger.warn({ err: error, willRestart }, 'Kafka direct stream reader failed');
    if (willRestart) return;
    for (const byPartition of this.buffers.values())
      for (const buffer of byPartition.values()) buffer.assigned = false;
    this.consumer = undefined;
    this.starting = undefined;
    void consumer.stop();
    this.notify();
  }

  // ------------------------------------------------------------ internals

  private bufferOf(topic: string, partition: number): PartitionBuffer {
    let byPartition = this.buffers.get(topic);
    if (byPartition === undefined) this.buffers.set(topic, (byPartition = new Map()));
    let buffer = byPartition.get(partition);
    if (buffer === undefined) byPartition.set(partition, (buffer = new PartitionBuffer()));
    return buffer;
  }

  private setPaused(
    topic: string,
    partition: number,
    buffer: PartitionBuffer,
    paused: boolean,
  ): void {
    buffer.paused = paused;
    const partitions = [{ topic, partitions: [partition] }];
    if (paused) this.consumer?.pause(partitions);
    else this.consumer?.resume(partitions);
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
