import type { AckMode, Logger, Receiver, ReceiverCapabilities } from '@dstream/core';

/** What the suite asks of {@link ReceiverHarness.createReceiver}. */
export interface ReceiverFactoryOptions {
  /**
   * The acknowledgement mode the receiver must use (set `receiver.ackOn`, or pass it to the
   * connector's factory). Cases about reliability use `'processed'`, so that whether a record
   * was acknowledged is decided by the outputs of the test.
   */
  readonly ackOn: AckMode;
}

/**
 * Connects the conformance suite to one receiver and its source. The suite creates receivers
 * through it, publishes records carrying numeric ids into the source, and reads the ids back
 * from what the receiver stored. Every case calls {@link setup} first and {@link teardown}
 * last, and may create several receivers in between (a restart across contexts creates a new
 * receiver on the same source).
 *
 * @example
 * ```ts
 * const harness: ReceiverHarness<string> = {
 *   name: 'socketTextStream',
 *   capabilities: { reliable: false, replayable: false, ordered: true },
 *   setup: () => server.reset(),
 *   createReceiver: ({ ackOn }) => Object.assign(createSocketTextReceiver('127.0.0.1', server.port), { ackOn }),
 *   whenReady: () => server.waitForClient(),
 *   publish: async (ids) => server.send(ids.map((id) => `${id}\n`).join('')),
 *   idOf: (line) => Number(line),
 * };
 * ```
 */
export interface ReceiverHarness<T> {
  /** Names the receiver in test titles and failure messages. */
  readonly name: string;
  /**
   * The capabilities the receiver declares, which decide the cases that run (the suite needs
   * them before it creates a receiver). Every case checks that the receivers it creates declare
   * exactly these.
   */
  readonly capabilities: ReceiverCapabilities;
  /**
   * Prepares a fresh, empty source for one case (a new topic, subscription, directory or
   * port): records left over from an earlier case must not reach this one's receivers.
   */
  setup?(): void | Promise<void>;
  /** Releases what {@link setup} and {@link publish} hold (producers, servers, pending sends). */
  teardown?(): void | Promise<void>;
  /**
   * A new receiver reading the current source, not yet started, using `options.ackOn`. Called
   * once per context; all receivers of one case read the same source (a durable subscription,
   * a consumer group, the same port).
   */
  createReceiver(options: ReceiverFactoryOptions): Receiver<T> | Promise<Receiver<T>>;
  /**
   * Resolves once the source delivers to `receiver` what is published from now on (connected,
   * subscribed, partitions assigned). Called after each start and restart. Default: at once.
   */
  whenReady?(receiver: Receiver<T>): Promise<void>;
  /**
   * Publishes one record per id into the source, in this order, and resolves once the source
   * has them: not once the receiver got them. A source that redelivers (a reliable one) keeps
   * redelivering until acknowledged; for a push source with no broker, such as a webhook, the
   * harness plays the client and retries until the receiver acknowledges.
   */
  publish(ids: readonly number[]): Promise<void>;
  /** The id carried by a record the receiver stored. */
  idOf(record: T): number;
  /**
   * Ids the source regards as acknowledged so far (committed offsets, acked messages, requests
   * answered 200). When given, the suite checks that a reliable receiver acknowledges only when
   * the engine tells it to, and never acknowledges what a graceful stop then drops.
   */
  acknowledgedIds?(): readonly number[] | Promise<readonly number[]>;
  /**
   * Ids the source has handed to a receiver so far, acknowledged or not. When given, the
   * graceful-stop case waits until the receiver has them, rather than until it handed them to
   * the engine, so that records a receiver holds in its own buffers are checked too.
   */
  deliveredIds?(): readonly number[] | Promise<readonly number[]>;
  /** Throws unless the source sees `receiver` gone after it stopped (no connection, port free). */
  assertReleased?(receiver: Receiver<T>): void | Promise<void>;
  /** Tuning of the cases for this receiver; every setting is optional. */
  readonly settings?: ReceiverConformanceSettings;
}

/** The ids of the receiver conformance cases. */
export type ReceiverCaseId =
  | 'start-returns-promptly'
  | 'delivers-published-records'
  | 'keeps-source-order'
  | 'stop-releases-everything'
  | 'restart-stops-then-starts'
  | 'report-error-keeps-running'
  | 'slows-down-under-backpressure'
  | 'graceful-stop-drains'
  | 'acknowledges-only-when-told'
  | 'redelivers-after-restart'
  | 'replays-to-a-new-receiver';

/** Tuning of the receiver cases. Defaults suit a local broker or an in-process source. */
export interface ReceiverConformanceSettings {
  /** Batch interval of the contexts the cases run, in milliseconds (default 200). */
  readonly batchInterval?: number;
  /** Block interval, in milliseconds (default 50). */
  readonly blockInterval?: number;
  /** Delay between the stop and the start of a restart, in milliseconds (default 100). */
  readonly restartDelay?: number;
  /** How long records may take from publishing to a batch, in milliseconds (default 15 000). */
  readonly deliveryTimeout?: number;
  /** Records published by most cases (default 50). */
  readonly records?: number;
  /** The longest a call of `onStart` may take, in milliseconds (default 250). */
  readonly startTimeout?: number;
  /** Settings of the backpressure case. */
  readonly backpressure?: BackpressureSettings;
  /** A logger for the contexts (default: silent); useful when a case fails. */
  readonly logger?: Logger;
  /**
   * Cases this receiver is not held to, each with the reason, which test titles show. Use it
   * for what the source cannot do (a source that cannot be paused), never to hide a bug.
   */
  readonly exclude?: Partial<Record<ReceiverCaseId, string>>;
}

/** How the backpressure case loads the receiver. */
export interface BackpressureSettings {
  /** The `maxRate` of the stream, in records per second (default 100). */
  readonly maxRate?: number;
  /** Records published at once (default 2000). */
  readonly records?: number;
  /** How long the intake is watched, in milliseconds (default 2000). */
  readonly duration?: number;
  /**
   * Records the receiver may take beyond what the rate allows: what it has in flight when it
   * pauses (a fetched batch, a socket chunk, requests being read). Default 200.
   */
  readonly allowance?: number;
}
