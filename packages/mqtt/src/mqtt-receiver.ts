import {
  Receiver,
  RecordDecoding,
  type AcknowledgeableBlock,
  type BlockMetadata,
  type ReceiverCapabilities,
} from '@dstream/core';
import type { IPublishPacket } from 'mqtt';
import { MqttError, messageOf } from './mqtt-error.js';
import type { MqttMessage } from './mqtt-message.js';
import { MqttSession, type MqttSessionHandlers } from './mqtt-session.js';
import {
  MAX_PENDING_MESSAGES,
  resolveMqttStreamOptions,
  type MqttStreamOptions,
  type ResolvedMqttStreamOptions,
} from './mqtt-stream-options.js';

/** Counters of a receiver since it was created (across restarts). */
export interface MqttReceiverStats {
  /** Messages accepted from the broker, undecodable ones included. */
  readonly received: number;
  /** Records stored in blocks (reliable receivers; unreliable ones store through the block generator). */
  readonly stored: number;
  /** Acknowledgements (PUBACK / PUBREC) written to the broker. */
  readonly acknowledged: number;
  /** Payloads the decoder rejected, per outcome. */
  readonly decodeFailures: {
    readonly failed: number;
    readonly skipped: number;
    readonly deadLettered: number;
  };
  /** Connections made to the broker. */
  readonly connections: number;
}

/** How a receiver reaches its context; {@link mqttStream} sets it. */
export interface MqttReceiverHooks {
  /**
   * Called with an error that must fail the stream: a payload rejected under
   * `onDecodeError: 'fail'`, or a dead-letter sink that cannot be written. The receiver stops
   * taking messages (leaving the rest with the broker) until it is restarted.
   */
  readonly onFatalError?: (error: unknown) => void;
}

const FAILED: unique symbol = Symbol('failed');

/**
 * Receives messages from an MQTT broker.
 *
 * With QoS 1 or 2 it is a **reliable receiver**: it keeps a persistent session (fixed client id,
 * no clean start; MQTT 5 session expiry) and writes the acknowledgement of a message (PUBACK for
 * QoS 1, PUBREC for QoS 2) only once the block holding it is stored, or once its batch is
 * processed with `ackOn: 'processed'`. A message whose block was never stored is redelivered by
 * the broker when the receiver reconnects. Messages are collected into a block until as many are
 * unacknowledged as the broker lets be in flight (`maxInflight`), or `flushInterval` passed, and
 * the block is then stored at once, so that acknowledgements keep flowing. Blocks are stored one
 * at a time, each once the engine has capacity for it; meanwhile the client stops reading once a
 * block's worth waits, so the source slows down with the engine (rate limits, backpressure).
 *
 * With QoS 0 it is an **unreliable receiver**: messages are stored as they come and nothing is
 * acknowledged; what is buffered when the process dies is lost.
 *
 * Either way it reconnects with exponential backoff and resubscribes when the broker lost the
 * session. Use {@link mqttStream} to create one and its stream in one call.
 */
export class MqttReceiver<T = string> extends Receiver<MqttMessage<T>> {
  readonly capabilities: ReceiverCapabilities;
  /** The settings in force, defaults applied. */
  readonly options: ResolvedMqttStreamOptions<T>;

  private session: MqttSession | undefined;
  /** A session kept open after stop to acknowledge blocks whose batches are still processing. */
  private draining: MqttSession | undefined;
  private decoding: RecordDecoding<T> | undefined;
  private accepting = false;
  private halted = false;
  private records: MqttMessage<T>[] = [];
  private tokens: number[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** The loop storing pending messages block after block, while it runs. */
  private storing: Promise<void> | undefined;
  private storeRequested = false;
  private currentTopic = '';
  private readonly metadata: BlockMetadata;
  private readonly handlers: MqttSessionHandlers;
  private readonly counts = { received: 0, stored: 0, acknowledged: 0 };
  private connections = 0;

  /**
   * @param options The stream's settings; validated here.
   * @param hooks How the receiver reports errors that must fail the stream.
   */
  constructor(
    options: MqttStreamOptions,
    private readonly hooks: MqttReceiverHooks = {},
  ) {
    super();
    this.options = resolveMqttStreamOptions<T>(options);
    this.ackOn = this.options.ackOn;
    const reliable = this.options.reliable;
    this.capabilities = { reliable, replayable: reliable, ordered: true };
    this.metadata = Object.freeze({
      broker: this.options.broker,
      clientId: this.options.clientId,
      topics: this.options.topics,
    });
    this.handlers = {
      connected: () => {
        this.connections++;
      },
      published: (session, packet) => this.onPublished(session, packet),
      message: (packet, next) => this.onMessage(packet, next),
      error: (error) => this.onSessionError(error),
    };
  }

  override get name(): string {
    return `MqttReceiver[${this.options.clientId}]`;
  }

  /** Counters since the receiver was created. */
  get stats(): MqttReceiverStats {
    const failures = this.decoding?.counts ?? { failed: 0, skipped: 0, deadLettered: 0 };
    return { ...this.counts, decodeFailures: { ...failures }, connections: this.connections };
  }

  onStart(): void {
    // A session still draining from before a restart: its acknowledgements are moot now, the
    // new session resumes the broker's session and gets what was not acknowledged.
    void this.draining?.close(true);
    this.draining = undefined;
    this.decoding ??= new RecordDecoding(
      this.options.decoder,
      this.options.onDecodeError,
      this.logger,
    );
    this.halted = false;
    this.accepting = true;
    this.session = new MqttSession(this.options, this.handlers, this.logger);
  }

  /**
   * Stops taking messages, stores those already taken (reliable receivers) and disconnects. With
   * `ackOn: 'processed'` and blocks whose batches are still processing, the client stays
   * connected to acknowledge them, and disconnects once they are (or at {@link onClose}).
   */
  async onStop(): Promise<void> {
    this.accepting = false;
    const session = this.session;
    this.session = undefined;
    if (session === undefined) return;
    if (this.options.reliable) {
      this.requestStore();
      await this.storing;
    }
    if (this.ackOn === 'processed' && session.inFlight > 0 && session.connected) {
      this.draining = session;
      return;
    }
    await session.close();
  }

  /** Acknowledges the block's messages to the broker (reliable receivers). */
  override async onAcknowledge(block: AcknowledgeableBlock): Promise<void> {
    if (!this.options.reliable) return;
    const decoding = this.decoding;
    if (decoding !== undefined && decoding.counts.deadLettered > 0) {
      try {
        await decoding.pendingDeadLetters();
      } catch (error) {
        this.halt(
          new MqttError(
            'MQTT_DEAD_LETTER_FAILED',
            this.options.broker,
            `Writing an undecodable message to the dead-letter sink failed: ${messageOf(error)}`,
            {
              cause: error,
            },
          ),
        );
        return;
      }
    }
    const session = this.session;
    const draining = this.draining;
    let released = 0;
    for (const token of block.ackTokens as readonly number[]) {
      if (token < 0) continue;
      if (
        (session !== undefined && session.release(token)) ||
        (draining !== undefined && draining.release(token))
      )
        released++;
    }
    this.counts.acknowledged += released;
    if (draining !== undefined && draining.inFlight === 0) {
      this.draining = undefined;
      await draining.close();
    }
  }

  /**
   * The context stops: disconnects every client of this receiver, including one kept connected
   * to acknowledge the batches that were still processing at {@link onStop}.
   */
  override async onClose(): Promise<void> {
    this.accepting = false;
    clearTimeout(this.flushTimer);
    const sessions = [this.draining, this.session].filter((session) => session !== undefined);
    this.draining = undefined;
    this.session = undefined;
    await Promise.all(sessions.map((session) => session.close()));
  }

  // ------------------------------------------------------------ reliable path

  private onPublished(session: MqttSession, packet: IPublishPacket): void {
    if (!this.accepting || session !== this.session) return;
    this.counts.received++;
    const record = this.decode(packet);
    if (record === FAILED) return;
    if (record !== RecordDecoding.SKIPPED) this.records.push(record);
    this.tokens.push(session.take(packet));
    if (this.windowFull(session) || this.tokens.length >= MAX_PENDING_MESSAGES) {
      // The broker waits for acknowledgements: store what is pending now.
      this.requestStore();
    } else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(this.storeOnTimer, this.options.flushInterval);
    }
    // While a block is being stored (or waits for the engine's capacity: rate limit, full
    // queue), stop reading once a block's worth waits, so the source slows down with the engine.
    if (this.storing !== undefined && this.tokens.length >= this.options.maxInflight) {
      session.pauseReading();
    }
  }

  /**
   * Whether as many messages as the broker lets be in flight wait for a block to be stored: all
   * unacknowledged ones with `ackOn: 'stored'`; with `'processed'` those not yet stored (stored
   * ones wait for their batch whatever this receiver does).
   */
  private windowFull(session: MqttSession): boolean {
    const waiting = this.ackOn === 'stored' ? session.inFlight : this.tokens.length;
    return waiting >= this.options.maxInflight;
  }

  private readonly storeOnTimer = (): void => {
    this.flushTimer = undefined;
    this.requestStore();
  };

  /** Asks for what is pending to be stored as a block, once the block being stored (if any) is. */
  private requestStore(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.storeRequested = true;
    this.storing ??= this.storePending().finally(() => {
      this.storing = undefined;
      this.session?.resumeReading();
      // Messages that arrived meanwhile without filling the window wait for the timer.
      if (this.tokens.length > 0 && this.flushTimer === undefined && this.accepting) {
        this.flushTimer = setTimeout(this.storeOnTimer, this.options.flushInterval);
      }
    });
  }

  /**
   * Stores pending messages one block at a time, each once the engine has capacity for it; the
   * blocks' messages are acknowledged once stored (or processed).
   */
  private async storePending(): Promise<void> {
    while (this.storeRequested && this.tokens.length > 0) {
      this.storeRequested = false;
      await this.awaitCapacity();
      if (this.tokens.length === 0) return;
      const records = this.records;
      const tokens = this.tokens;
      this.records = [];
      this.tokens = [];
      this.session?.resumeReading();
      try {
        const block = await this.storeBlock(records, this.metadata, tokens);
        this.counts.stored += block.numRecords;
      } catch (error) {
        // The block's messages stay unacknowledged: reconnecting makes the broker redeliver them.
        this.restart(`Storing a block of MQTT messages from ${this.options.broker} failed`, error);
        return;
      }
      const session = this.session;
      if (session !== undefined && this.windowFull(session)) this.storeRequested = true;
    }
  }

  // ------------------------------------------------------------ unreliable path

  private onMessage(packet: IPublishPacket, next: () => void): void {
    if (!this.accepting) {
      next();
      return;
    }
    this.counts.received++;
    const record = this.decode(packet);
    if (record === FAILED || record === RecordDecoding.SKIPPED) {
      next();
      return;
    }
    let more: boolean;
    try {
      more = this.store(record);
    } catch (error) {
      this.reportError(error);
      next();
      return;
    }
    // The block generator asks to slow down: stop reading from the broker until it has room.
    if (more) next();
    else void this.awaitCapacity().then(next, next);
  }

  // ------------------------------------------------------------ shared

  private decode(
    packet: IPublishPacket,
  ): MqttMessage<T> | typeof RecordDecoding.SKIPPED | typeof FAILED {
    this.currentTopic = packet.topic;
    let payload: T | typeof RecordDecoding.SKIPPED;
    try {
      payload = this.decoding!.decode(packet.payload as Buffer, this.describeSource);
    } catch (error) {
      this.halt(error);
      return FAILED;
    }
    if (payload === RecordDecoding.SKIPPED) return RecordDecoding.SKIPPED;
    return {
      topic: packet.topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      properties: packet.properties,
    };
  }

  private readonly describeSource = (): string =>
    `topic ${this.currentTopic} on ${this.options.broker}`;

  private onSessionError(error: MqttError): void {
    if (error.code === 'MQTT_SUBSCRIBE_FAILED') {
      this.restart(error.message, error);
      return;
    }
    this.reportError(error);
  }

  /**
   * Fails the stream: stops taking messages, stores those taken before the failing one and
   * disconnects, leaving everything after it unacknowledged with the broker.
   */
  private halt(error: unknown): void {
    if (this.halted) return;
    this.halted = true;
    this.accepting = false;
    this.reportError(error);
    this.hooks.onFatalError?.(error);
    this.onStop().catch((stopError: unknown) => this.reportError(stopError));
  }
}
