import {
  Receiver,
  RecordDecoding,
  type AcknowledgeableBlock,
  type ReceiverCapabilities,
} from '@dstream/core';
import {
  Duration,
  type Message,
  type Subscription,
  type SubscriptionOptions,
} from '@google-cloud/pubsub';
import { PubsubClientHandle, fullName } from './pubsub-client.js';
import {
  GRPC_NOT_FOUND,
  GRPC_PERMISSION_DENIED,
  PubsubError,
  grpcCodeOf,
  messageOf,
} from './pubsub-error.js';
import type { PubsubMessage } from './pubsub-message.js';
import {
  resolvePubsubStreamOptions,
  type PubsubStreamOptions,
  type ResolvedPubsubStreamOptions,
} from './pubsub-stream-options.js';

/** Counters of a receiver since it was created (across restarts). */
export interface PubsubReceiverStats {
  /** Messages the client handed over, undecodable ones included. */
  readonly received: number;
  /** Records stored in blocks. */
  readonly stored: number;
  /** Messages acknowledged. */
  readonly acknowledged: number;
  /** Messages nacked because the receiver stopped (or failed) before storing them. */
  readonly nacked: number;
  /** Messages received and neither acknowledged nor nacked yet. */
  readonly outstanding: number;
  /** The most messages ever outstanding at once. */
  readonly peakOutstanding: number;
  /** Payloads the decoder rejected, per outcome. */
  readonly decodeFailures: {
    readonly failed: number;
    readonly skipped: number;
    readonly deadLettered: number;
  };
}

/** How a receiver reaches its context; {@link pubsubStream} sets it. */
export interface PubsubReceiverHooks {
  /**
   * Called with an error that must fail the stream: a missing subscription, denied permission,
   * a payload rejected under `onDecodeError: 'fail'`, or a dead-letter sink that cannot be
   * written. The receiver stops pulling until it is restarted.
   */
  readonly onFatalError?: (error: unknown) => void;
}

/** Block metadata of a Pub/Sub block: per record (same index), where it came from. */
export interface PubsubBlockMetadata {
  readonly [key: string]: unknown;
  /** The subscription's full name. */
  readonly subscription: string;
  readonly messageIds: readonly string[];
  /** Publish times in milliseconds since the epoch. */
  readonly publishTimes: readonly number[];
  /** Ordering keys (`''` for none). */
  readonly orderingKeys: readonly string[];
  readonly attributes: readonly Readonly<Record<string, string>>[];
}

/**
 * Receives the messages of a Google Cloud Pub/Sub subscription by streaming pull, as a
 * **reliable receiver**: each message is acknowledged only once the block holding it is stored
 * (`ackOn: 'stored'`) or its batch processed (`ackOn: 'processed'`).
 *
 * Flow control (`maxMessages`, `maxBytes`, excess messages never handed over) bounds what is
 * outstanding: a message counts until it is acknowledged, so the pull pauses while the engine
 * is behind (rate limits, slow batches with `ackOn: 'processed'`). When the outstanding limit is
 * reached, the pending messages are stored at once rather than at the end of `flushInterval`, so
 * that acknowledgements keep the pull going. The client library extends the leases of messages
 * it holds (up to `maxExtension`), so messages waiting in the engine are not redelivered.
 * On stop, messages not yet stored are nacked so that the service redelivers them promptly.
 *
 * Records carry the message id, attributes, ordering key and publish time; the block metadata
 * lists them too (see {@link PubsubBlockMetadata}). Messages of one ordering key are stored in
 * the order the subscription delivers them (enable message ordering on the subscription).
 */
export class PubsubReceiver<T = string> extends Receiver<PubsubMessage<T>> {
  /**
   * Reliable and replayable; not `ordered`: Pub/Sub keeps publication order only among messages
   * of one ordering key (on subscriptions with message ordering), which the receiver preserves.
   */
  readonly capabilities: ReceiverCapabilities = {
    reliable: true,
    replayable: true,
    ordered: false,
  };
  /** The settings in force, defaults applied. */
  readonly options: ResolvedPubsubStreamOptions<T>;

  private readonly client: PubsubClientHandle;
  private subscription: Subscription | undefined;
  /** A subscription kept open after stop to acknowledge blocks whose batches are still processing. */
  private draining: Subscription | undefined;
  private decoding: RecordDecoding<T> | undefined;
  private accepting = false;
  private halted = false;
  private records: PubsubMessage<T>[] = [];
  private tokens: Message[] = [];
  private messageIds: string[] = [];
  private publishTimes: number[] = [];
  private orderingKeys: string[] = [];
  private attributes: Readonly<Record<string, string>>[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** The loop storing pending messages block after block, while it runs. */
  private storing: Promise<void> | undefined;
  private storeRequested = false;
  /** Messages in blocks handed to the engine and not acknowledged yet. */
  private awaitingAcknowledgement = 0;
  private outstanding = 0;
  private outstandingBytes = 0;
  private peakOutstanding = 0;
  private currentMessageId = '';
  private readonly counts = { received: 0, stored: 0, acknowledged: 0, nacked: 0 };

  /**
   * @param options The stream's settings; validated here.
   * @param hooks How the receiver reports errors that must fail the stream.
   */
  constructor(
    options: PubsubStreamOptions,
    private readonly hooks: PubsubReceiverHooks = {},
  ) {
    super();
    this.options = resolvePubsubStreamOptions<T>(options);
    this.ackOn = this.options.ackOn;
    this.client = new PubsubClientHandle(this.options);
  }

  override get name(): string {
    return `PubsubReceiver[${this.options.subscription}]`;
  }

  /** Counters since the receiver was created. */
  get stats(): PubsubReceiverStats {
    const failures = this.decoding?.counts ?? { failed: 0, skipped: 0, deadLettered: 0 };
    return {
      ...this.counts,
      outstanding: this.outstanding,
      peakOutstanding: this.peakOutstanding,
      decodeFailures: { ...failures },
    };
  }

  onStart(): void {
    // A subscription still draining from before a restart: closing it nacks what it holds.
    const draining = this.draining;
    this.draining = undefined;
    if (draining !== undefined) void this.closeSubscription(draining);
    this.decoding ??= new RecordDecoding(
      this.options.decoder,
      this.options.onDecodeError,
      this.logger,
    );
    this.halted = false;
    this.accepting = true;
    const subscription = this.client
      .open()
      .subscription(this.options.subscription, this.subscriberOptions());
    subscription.on('error', (error: unknown) => this.onError(subscription, error));
    subscription.on('message', this.onMessage);
    this.subscription = subscription;
  }

  /**
   * Stops pulling: nacks the messages not yet stored, waits for blocks being stored, and closes
   * the subscription (which nacks whatever else the client holds). With `ackOn: 'processed'`
   * and blocks whose batches are still processing, the subscription stays open to acknowledge
   * them and closes once they are (or at {@link onClose}).
   */
  async onStop(): Promise<void> {
    this.accepting = false;
    this.cancelFlush();
    this.nackPending();
    await this.storing;
    const subscription = this.subscription;
    this.subscription = undefined;
    if (subscription === undefined) return;
    if (this.ackOn === 'processed' && this.awaitingAcknowledgement > 0) {
      this.draining = subscription;
      return;
    }
    await this.closeSubscription(subscription);
  }

  /** Acknowledges the block's messages. */
  override async onAcknowledge(block: AcknowledgeableBlock): Promise<void> {
    const decoding = this.decoding;
    if (decoding !== undefined && decoding.counts.deadLettered > 0) {
      try {
        await decoding.pendingDeadLetters();
      } catch (error) {
        this.halt(
          new PubsubError(
            'PUBSUB_DEAD_LETTER_FAILED',
            `Writing an undecodable message of ${this.subscriptionName()} to the dead-letter sink failed: ${messageOf(error)}`,
            {
              subscription: this.subscriptionName(),
              cause: error,
            },
          ),
        );
        return;
      }
    }
    const messages = block.ackTokens as readonly Message[];
    let bytes = 0;
    for (const message of messages) {
      message.ack();
      bytes += message.length;
    }
    this.settled(messages.length, bytes);
    this.counts.acknowledged += messages.length;
    this.awaitingAcknowledgement -= messages.length;
    const draining = this.draining;
    if (draining !== undefined && this.awaitingAcknowledgement === 0) {
      this.draining = undefined;
      await this.closeSubscription(draining);
    }
  }

  /**
   * The context stops: closes every subscription of this receiver, including one kept open to
   * acknowledge the batches that were still processing at {@link onStop}, and the client if the
   * receiver created it.
   */
  override async onClose(): Promise<void> {
    this.accepting = false;
    this.cancelFlush();
    this.nackPending();
    const subscriptions = [this.draining, this.subscription].filter(
      (subscription) => subscription !== undefined,
    );
    this.draining = undefined;
    this.subscription = undefined;
    await Promise.all(subscriptions.map((subscription) => this.closeSubscription(subscription)));
    await this.client.close();
  }

  // ------------------------------------------------------------ receiving

  private readonly onMessage = (message: Message): void => {
    // After stop (or a failure) the message stays with the client, which nacks it on close.
    if (!this.accepting) return;
    this.counts.received++;
    this.outstanding++;
    this.outstandingBytes += message.length;
    if (this.outstanding > this.peakOutstanding) this.peakOutstanding = this.outstanding;
    this.currentMessageId = message.id;
    let data: T | typeof RecordDecoding.SKIPPED;
    try {
      data = this.decoding!.decode(message.data, this.describeSource);
    } catch (error) {
      // 'fail': the message goes back to the subscription, the stream fails.
      message.nack();
      this.counts.nacked++;
      this.settled(1, message.length);
      this.halt(error);
      return;
    }
    if (data !== RecordDecoding.SKIPPED) {
      const publishTime = message.publishTime.getTime();
      const orderingKey = message.orderingKey ?? '';
      this.records.push({
        id: message.id,
        data,
        attributes: message.attributes,
        orderingKey,
        publishTime,
        deliveryAttempt: message.deliveryAttempt,
      });
      this.messageIds.push(message.id);
      this.publishTimes.push(publishTime);
      this.orderingKeys.push(orderingKey);
      this.attributes.push(message.attributes);
    }
    this.tokens.push(message);
    if (
      this.outstanding >= this.options.maxMessages ||
      this.outstandingBytes >= this.options.maxBytes
    ) {
      // Flow control is full: the client hands over nothing more until messages are acknowledged.
      this.requestStore();
    } else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(this.storeOnTimer, this.options.flushInterval);
    }
  };

  private readonly storeOnTimer = (): void => {
    this.flushTimer = undefined;
    this.requestStore();
  };

  /** Asks for what is pending to be stored as a block, once the block being stored (if any) is. */
  private requestStore(): void {
    this.cancelFlush();
    this.storeRequested = true;
    this.storing ??= this.storePending().finally(() => {
      this.storing = undefined;
      if (this.tokens.length > 0 && this.flushTimer === undefined && this.accepting) {
        this.flushTimer = setTimeout(this.storeOnTimer, this.options.flushInterval);
      }
    });
  }

  /**
   * Stores pending messages one block at a time, each once the engine has capacity for it (rate
   * limits, block queue): meanwhile the messages stay outstanding, and flow control stops the pull
   * when they reach its limits. A block's messages are acknowledged once it is stored (or processed).
   */
  private async storePending(): Promise<void> {
    while (this.storeRequested && this.tokens.length > 0) {
      this.storeRequested = false;
      await this.awaitCapacity();
      if (this.tokens.length === 0) return;
      const records = this.records;
      const tokens = this.tokens;
      const metadata: PubsubBlockMetadata = {
        subscription: this.subscriptionName(),
        messageIds: this.messageIds,
        publishTimes: this.publishTimes,
        orderingKeys: this.orderingKeys,
        attributes: this.attributes,
      };
      this.records = [];
      this.tokens = [];
      this.messageIds = [];
      this.publishTimes = [];
      this.orderingKeys = [];
      this.attributes = [];
      this.awaitingAcknowledgement += tokens.length;
      try {
        const block = await this.storeBlock(records, metadata, tokens);
        this.counts.stored += block.numRecords;
      } catch (error) {
        this.storeFailed(error, tokens);
        return;
      }
      if (
        this.outstanding >= this.options.maxMessages ||
        this.outstandingBytes >= this.options.maxBytes
      ) {
        this.storeRequested = true;
      }
    }
  }

  private storeFailed(error: unknown, messages: readonly Message[]): void {
    // Not stored: the messages go back to the subscription for prompt redelivery.
    let bytes = 0;
    for (const message of messages) {
      message.nack();
      bytes += message.length;
    }
    this.counts.nacked += messages.length;
    this.awaitingAcknowledgement -= messages.length;
    this.settled(messages.length, bytes);
    this.restart(`Storing a block of messages from ${this.subscriptionName()} failed`, error);
  }

  private cancelFlush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Nacks the messages received and not yet handed to the engine. */
  private nackPending(): void {
    let bytes = 0;
    for (const message of this.tokens) {
      message.nack();
      bytes += message.length;
    }
    this.counts.nacked += this.tokens.length;
    this.settled(this.tokens.length, bytes);
    this.records = [];
    this.tokens = [];
    this.messageIds = [];
    this.publishTimes = [];
    this.orderingKeys = [];
    this.attributes = [];
  }

  private settled(messages: number, bytes: number): void {
    this.outstanding -= messages;
    this.outstandingBytes -= bytes;
  }

  // ------------------------------------------------------------ errors and lifecycle

  private onError(subscription: Subscription, error: unknown): void {
    if (subscription !== this.subscription && subscription !== this.draining) return;
    const name = this.subscriptionName();
    const code = grpcCodeOf(error);
    if (code === GRPC_NOT_FOUND) {
      this.halt(
        new PubsubError(
          'PUBSUB_SUBSCRIPTION_NOT_FOUND',
          `Pub/Sub subscription ${name} does not exist; create it, or check the subscription and projectId options`,
          {
            subscription: name,
            cause: error,
          },
        ),
      );
    } else if (code === GRPC_PERMISSION_DENIED) {
      this.halt(
        new PubsubError(
          'PUBSUB_PERMISSION_DENIED',
          `The credentials may not pull from Pub/Sub subscription ${name}: ${messageOf(error)}`,
          {
            subscription: name,
            cause: error,
          },
        ),
      );
    } else {
      const failure = new PubsubError(
        'PUBSUB_STREAM_FAILED',
        `Streaming pull from Pub/Sub subscription ${name} failed: ${messageOf(error)}`,
        {
          subscription: name,
          cause: error,
        },
      );
      if (subscription === this.subscription) this.restart(failure.message, failure);
      else this.reportError(failure);
    }
  }

  /**
   * Fails the stream: stops pulling, nacks what was not stored (the failing message included)
   * and closes the subscription.
   */
  private halt(error: unknown): void {
    if (this.halted) return;
    this.halted = true;
    this.accepting = false;
    this.reportError(error);
    this.hooks.onFatalError?.(error);
    this.onStop().catch((stopError: unknown) => this.reportError(stopError));
  }

  private async closeSubscription(subscription: Subscription): Promise<void> {
    try {
      await subscription.close();
    } catch (error) {
      this.logger.warn(
        { err: error, subscription: this.subscriptionName() },
        'Closing the Pub/Sub subscription failed',
      );
    }
    subscription.removeAllListeners('message');
  }

  private subscriberOptions(): SubscriptionOptions {
    const options = this.options;
    return {
      flowControl: {
        maxMessages: options.maxMessages,
        maxBytes: options.maxBytes,
        allowExcessMessages: false,
      },
      maxExtensionTime: Duration.from({ milliseconds: options.maxExtension }),
      ...(options.minAckDeadline === undefined
        ? {}
        : { minAckDeadline: Duration.from({ milliseconds: options.minAckDeadline }) }),
      ...(options.maxAckDeadline === undefined
        ? {}
        : { maxAckDeadline: Duration.from({ milliseconds: options.maxAckDeadline }) }),
      streamingOptions: { maxStreams: options.maxStreams },
    };
  }

  /** The subscription's full name, for messages and metadata. */
  private subscriptionName(): string {
    return fullName('subscriptions', this.options.subscription, this.client.projectId);
  }

  private readonly describeSource = (): string =>
    `subscription ${this.subscriptionName()} message ${this.currentMessageId}`;
}
