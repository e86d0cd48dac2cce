import type { Sink, SinkWriteContext } from '../sink/sink.js';
import type { DeadLetterRecord } from './decode-error-policy.js';

/** Dead letters a channel holds before it writes them without waiting for the batch. */
export const DEFAULT_MAX_BUFFERED_DEAD_LETTERS = 10_000;

/** Who handed a dead letter over, told when writing it failed. */
export interface DeadLetterOwner {
  deadLetterWriteFailed(error: unknown): void;
}

/** The batch time of the active context, set at every batch; `undefined` when none runs. */
let currentBatchTime: number | undefined;
/** Channels holding dead letters not yet handed to their sink. */
const channelsWithLetters = new Set<DeadLetterChannel>();
/** Channels whose sink is open. */
const openChannels = new Set<DeadLetterChannel>();
/** One channel per sink, so every stream writing to a sink shares its write identities. */
const channels = new WeakMap<object, DeadLetterChannel>();

/**
 * The dead letters on their way to one sink. Decoders hand letters over as they fail; the
 * channel buffers them (boundedly) and writes all it holds in one `write` per flush: at every
 * batch of the active context, when a connector waits for its letters to be stored
 * (`RecordDecoding.pendingDeadLetters`), and as soon as it holds `maxBuffered` letters.
 *
 * Each write has its own identity: its batch time is the time of the current batch, moved on by
 * a millisecond when this channel already wrote under it, so writes never replace one another
 * in an idempotent sink, and a batch recomputed after a restart writes its letters again under
 * the same time. Writes go through the sink's batch hooks when it has them.
 */
export class DeadLetterChannel {
  /** The letters held, in chunks of at most `maxBuffered`; each chunk is one write. */
  private chunks: HeldLetters[] = [];
  private held = 0;
  private opened: Promise<void> | undefined;
  /** The flush waiting for its turn; letters handed over before it starts go with it. */
  private scheduled: Promise<void> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private lastTime = -Infinity;

  private constructor(
    readonly sink: Sink<DeadLetterRecord>,
    /** Letters held before a write starts without waiting for the batch. */
    readonly maxBuffered: number,
  ) {}

  /** The channel of `sink`, created on first use. */
  static of(sink: Sink<DeadLetterRecord>, maxBuffered: number): DeadLetterChannel {
    let channel = channels.get(sink);
    if (channel === undefined) {
      channel = new DeadLetterChannel(sink, maxBuffered);
      channels.set(sink, channel);
    }
    return channel;
  }

  /** Letters held and not yet handed to the sink. */
  get buffered(): number {
    return this.held;
  }

  /**
   * Takes a letter. Once `maxBuffered` letters are held, they are cut into a write of their own,
   * started without waiting for the batch.
   */
  offer(record: DeadLetterRecord, owner: DeadLetterOwner): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.records.length >= this.maxBuffered) {
      chunk = { records: [], owners: [] };
      this.chunks.push(chunk);
    }
    chunk.records.push(record);
    chunk.owners.push(owner);
    if (this.held++ === 0) channelsWithLetters.add(this);
    if (chunk.records.length >= this.maxBuffered) void this.flush().catch(ignore);
  }

  /**
   * Writes every letter handed over so far (with those that arrive before the write starts) in
   * one write; resolves once they are written, rejects when the write failed (the owners of the
   * letters are told too).
   */
  flush(): Promise<void> {
    if (this.scheduled !== undefined) return this.scheduled;
    const run = this.tail.then(() => this.writeHeld());
    this.scheduled = run;
    this.tail = run.catch(ignore);
    return run;
  }

  private async writeHeld(): Promise<void> {
    this.scheduled = undefined;
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    this.chunks = [];
    this.held = 0;
    channelsWithLetters.delete(this);
    let failure: { error: unknown } | undefined;
    for (const chunk of chunks) {
      try {
        await this.write(chunk);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  private async write({ records, owners }: HeldLetters): Promise<void> {
    const context = this.nextWriteContext();
    const sink = this.sink;
    const batch = { batchTime: context.batchTime, inputs: new Map() };
    try {
      if (this.opened === undefined) {
        this.opened = Promise.resolve(sink.open?.());
        openChannels.add(this);
      }
      await this.opened;
      await sink.beginBatch?.(batch);
      try {
        await sink.write(records, context);
        await sink.commitBatch?.(batch);
      } catch (error) {
        await sink.abortBatch?.(batch, error);
        throw error;
      }
    } catch (error) {
      this.opened = undefined;
      const told = new Set<DeadLetterOwner>();
      for (const owner of owners) {
        if (told.has(owner)) continue;
        told.add(owner);
        owner.deadLetterWriteFailed(error);
      }
      throw error;
    }
  }

  /** Writes what is held, waits for every write under way, then closes the sink if open. */
  async close(): Promise<void> {
    await this.flush().catch(ignore);
    openChannels.delete(this);
    if (this.opened === undefined) return;
    this.opened = undefined;
    await this.sink.close?.();
  }

  private nextWriteContext(): SinkWriteContext {
    const candidate = currentBatchTime ?? Date.now();
    const batchTime = candidate > this.lastTime ? candidate : this.lastTime + 1;
    this.lastTime = batchTime;
    return { batchTime, partition: 0, numPartitions: 1 };
  }
}

/**
 * Called by the active context once a batch's jobs are generated: every channel holding letters
 * writes them now. Write failures reach the letters' owners.
 *
 * @internal
 */
export function flushDeadLettersAtBatch(): Promise<void> {
  const flushes: Promise<void>[] = [];
  for (const channel of channelsWithLetters) flushes.push(channel.flush().catch(ignore));
  return Promise.all(flushes).then(ignore);
}

/**
 * Called when a context stops: writes every dead letter still held, waits for the writes under
 * way, and closes the dead-letter sinks the channels opened. Failed writes reach the letters'
 * owners; a sink that fails to close is reported through `onError`.
 *
 * @internal
 */
export async function closeDeadLetterChannels(onError: (error: unknown) => void): Promise<void> {
  const channels = new Set([...channelsWithLetters, ...openChannels]);
  for (const channel of channels) {
    try {
      await channel.close();
    } catch (error) {
      onError(error);
    }
  }
}

/**
 * Sets the batch time later dead letters are written under: the time of the batch being
 * generated, or `undefined` when a context starts (no batch yet).
 *
 * @internal
 */
export function setDeadLetterBatchTime(time: number | undefined): void {
  currentBatchTime = time;
}

/** Letters held for one write, with who handed each over. */
interface HeldLetters {
  readonly records: DeadLetterRecord[];
  readonly owners: DeadLetterOwner[];
}

function ignore(): void {}
