import type { DStream, StreamingContext } from '@dstream/core';
import { resolveWebhookOptions, type WebhookStreamOptions } from './webhook-options.js';
import { WebhookReceiver } from './webhook-receiver.js';

/**
 * A stream of the records posted to an HTTP endpoint. Each request is answered 200 only once
 * its records are stored (or processed, with `ackOn: 'processed'`), so a client that retries
 * until it gets a 200 loses nothing.
 *
 * @example
 * ```ts
 * const events = webhookStream<{ user: string }>(ssc, { port: 8080, path: '/events', framing: 'lines' });
 * events.map((event) => event.user).countByValue().print();
 * ```
 */
export function webhookStream<T = unknown>(
  ssc: StreamingContext,
  options: WebhookStreamOptions<T>,
): DStream<T> {
  const receiver = createWebhookReceiver<T>(options);
  return ssc.receiverStream(
    receiver,
    receiver.maxRate === undefined ? {} : { maxRate: receiver.maxRate },
  );
}

/**
 * The receiver behind {@link webhookStream}, validated, for `ssc.receiverStream(receiver)`: use
 * it to keep a handle on the receiver (its port, URL and pending requests).
 */
export function createWebhookReceiver<T = unknown>(
  options: WebhookStreamOptions<T>,
): WebhookReceiver<T> {
  return new WebhookReceiver<T>(resolveWebhookOptions(options));
}
