/**
 * dstream-receiver-webhook: an HTTP webhook receiver for dstream. Clients post records; each
 * request is answered 200 only once its records are stored, so a client that retries until
 * it gets a 200 loses nothing.
 */
export { webhookStream, createWebhookReceiver } from './webhook-stream.js';
export { WebhookReceiver } from './webhook-receiver.js';
export { resolveWebhookOptions } from './webhook-options.js';
export type {
  WebhookStreamOptions,
  WebhookFraming,
  ResolvedWebhookOptions,
} from './webhook-options.js';
export { WebhookError } from './webhook-error.js';
