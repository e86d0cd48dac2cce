/**
 * @dstream/pubsub: a Google Cloud Pub/Sub input stream (a reliable streaming-pull receiver) and
 * a Pub/Sub sink, on @google-cloud/pubsub.
 */
export { pubsubStream } from './pubsub-stream.js';
export { PubsubReceiver } from './pubsub-receiver.js';
export type {
  PubsubReceiverStats,
  PubsubReceiverHooks,
  PubsubBlockMetadata,
} from './pubsub-receiver.js';
export type { PubsubMessage } from './pubsub-message.js';
export { resolvePubsubStreamOptions, DEFAULT_FLUSH_INTERVAL } from './pubsub-stream-options.js';
export type {
  PubsubStreamOptions,
  ResolvedPubsubStreamOptions,
  PubsubFlowControl,
  PubsubDecoderOption,
} from './pubsub-stream-options.js';
export type { PubsubClientOptions } from './pubsub-client.js';
export { pubsubSink, PubsubSink } from './pubsub-sink.js';
export type { PubsubSinkOptions } from './pubsub-sink.js';
export { PubsubError } from './pubsub-error.js';
export type { PubsubErrorCode } from './pubsub-error.js';
