import { DStreamError } from '@dstream/core';

/**
 * The stable codes of {@link PubsubError}:
 * - `PUBSUB_SUBSCRIPTION_NOT_FOUND`: the subscription does not exist; the stream fails.
 * - `PUBSUB_TOPIC_NOT_FOUND`: the sink's topic does not exist.
 * - `PUBSUB_PERMISSION_DENIED`: the credentials may not use the subscription or topic; the stream fails.
 * - `PUBSUB_STREAM_FAILED`: the streaming pull failed after the client's own retries; the receiver restarts.
 * - `PUBSUB_PUBLISH_FAILED`: the sink could not publish a record.
 * - `PUBSUB_DEAD_LETTER_FAILED`: writing an undecodable message to the dead-letter sink failed.
 */
export type PubsubErrorCode =
  | 'PUBSUB_SUBSCRIPTION_NOT_FOUND'
  | 'PUBSUB_TOPIC_NOT_FOUND'
  | 'PUBSUB_PERMISSION_DENIED'
  | 'PUBSUB_STREAM_FAILED'
  | 'PUBSUB_PUBLISH_FAILED'
  | 'PUBSUB_DEAD_LETTER_FAILED';

/** A Pub/Sub client failure; says which subscription or topic it concerns. */
export class PubsubError extends DStreamError {
  declare readonly code: PubsubErrorCode;
  /** The full name of the subscription concerned, such as `projects/p/subscriptions/orders`. */
  readonly subscription: string | undefined;
  /** The full name of the topic concerned, such as `projects/p/topics/orders`. */
  readonly topic: string | undefined;
  /** The gRPC status code of the underlying failure, if any (5 is NOT_FOUND). */
  readonly grpcCode: number | undefined;

  constructor(
    code: PubsubErrorCode,
    message: string,
    options: { subscription?: string; topic?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.subscription = options.subscription;
    this.topic = options.topic;
    this.grpcCode = grpcCodeOf(options.cause);
  }
}

/** The gRPC status code of an error from the client library, if it has one. */
export function grpcCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** gRPC status codes the connectors tell apart. */
export const GRPC_NOT_FOUND = 5;
export const GRPC_PERMISSION_DENIED = 7;
