import {
  ConfigurationError,
  type Decoder,
  type DStream,
  type StreamingContext,
} from '@dstream/core';
import type { PubsubMessage } from './pubsub-message.js';
import { PubsubReceiver } from './pubsub-receiver.js';
import type { PubsubStreamOptions } from './pubsub-stream-options.js';

/**
 * A stream of the messages of a Pub/Sub subscription, one {@link PubsubMessage} per message,
 * pulled by a reliable receiver: each message is acknowledged only once the block holding it is
 * stored (`ackOn: 'stored'`, the default) or its batch processed (`ackOn: 'processed'`). The
 * receiver's subscription and client are closed when the context stops. See {@link PubsubReceiver}.
 *
 * The data type follows `decoder`: `string` by default, `Buffer` for `'buffer'`, what the
 * function returns for a function, and `T` (default `unknown`) for `'json'`.
 *
 * @example
 * ```ts
 * const orders = pubsubStream<{ amount: number }>(ssc, {
 *   projectId: 'shop',
 *   subscription: 'orders-analytics',
 *   decoder: 'json',
 *   flowControl: { maxMessages: 5000 },
 * });
 * orders.map((m) => m.data.amount).reduce((a, b) => a + b).print();
 * ```
 */
export function pubsubStream<T>(
  ssc: StreamingContext,
  options: PubsubStreamOptions & { readonly decoder: Decoder<T> },
): DStream<PubsubMessage<T>>;
export function pubsubStream(
  ssc: StreamingContext,
  options: PubsubStreamOptions & { readonly decoder: 'buffer' },
): DStream<PubsubMessage<Buffer>>;
export function pubsubStream<T = unknown>(
  ssc: StreamingContext,
  options: PubsubStreamOptions & { readonly decoder: 'json' },
): DStream<PubsubMessage<T>>;
export function pubsubStream(
  ssc: StreamingContext,
  options: PubsubStreamOptions & { readonly decoder?: 'string' },
): DStream<PubsubMessage<string>>;
export function pubsubStream(
  ssc: StreamingContext,
  options: PubsubStreamOptions,
): DStream<PubsubMessage<unknown>> {
  if (ssc === null || typeof ssc !== 'object' || typeof ssc.receiverStream !== 'function') {
    throw new ConfigurationError('ssc', ssc, 'expected a StreamingContext');
  }
  const receiver = new PubsubReceiver<unknown>(
    { ...options, flushInterval: options?.flushInterval ?? ssc.options.blockInterval },
    { onFatalError: (error) => ssc.reportError(error) },
  );
  const maxRate = receiver.options.maxRate;
  const stream = ssc.receiverStream(receiver, maxRate === undefined ? {} : { maxRate });
  return stream;
}
