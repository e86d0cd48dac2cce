import { DStreamError } from '@dstream/core';

/**
 * The stable codes of {@link KafkaError}:
 * - `KAFKA_CONNECTION_FAILED`: no broker could be reached, or a request timed out.
 * - `KAFKA_AUTHENTICATION_FAILED`: SASL or SSL authentication was refused.
 * - `KAFKA_AUTHORIZATION_FAILED`: the principal may not use the topic, group or transactional id.
 * - `KAFKA_UNKNOWN_TOPIC`: a topic does not exist (and automatic creation is off).
 * - `KAFKA_PRODUCER_FENCED`: another producer with the same transactional id took over.
 * - `KAFKA_REQUEST_FAILED`: any other error the client or broker reported.
 * - `KAFKA_SERIALIZATION_FAILED`: the sink could not turn a record into a Kafka message.
 * - `KAFKA_OFFSETS_NOT_CONTIGUOUS`: a transactional sink refused to commit offsets that would
 *   skip the records of an earlier batch whose transaction was aborted.
 * - `KAFKA_RANGE_NOT_READABLE`: a direct stream could not read an offset range it must replay.
 */
export type KafkaErrorCode =
  | 'KAFKA_CONNECTION_FAILED'
  | 'KAFKA_AUTHENTICATION_FAILED'
  | 'KAFKA_AUTHORIZATION_FAILED'
  | 'KAFKA_UNKNOWN_TOPIC'
  | 'KAFKA_PRODUCER_FENCED'
  | 'KAFKA_REQUEST_FAILED'
  | 'KAFKA_SERIALIZATION_FAILED'
  | 'KAFKA_OFFSETS_NOT_CONTIGUOUS'
  | 'KAFKA_RANGE_NOT_READABLE';

/** Where a Kafka error happened: the brokers and, when known, topic, partition, group. */
export interface KafkaErrorContext {
  /** The bootstrap brokers of the client. */
  readonly brokers: readonly string[];
  readonly topic?: string;
  readonly partition?: number;
  readonly groupId?: string;
  readonly transactionalId?: string;
}

/**
 * An error of the Kafka connector: a stable {@link KafkaErrorCode}, a message that says which
 * brokers, topic, partition or group it concerns, the client's error as `cause`, and whether
 * retrying may help.
 */
export class KafkaError extends DStreamError {
  declare readonly code: KafkaErrorCode;
  /** The bootstrap brokers of the client that failed. */
  readonly brokers: readonly string[];
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly groupId: string | undefined;
  /** Whether the same operation may succeed later (broker back, topic created). */
  readonly retriable: boolean;

  constructor(
    code: KafkaErrorCode,
    message: string,
    context: KafkaErrorContext,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.brokers = context.brokers;
    this.topic = context.topic;
    this.partition = context.partition;
    this.groupId = context.groupId;
    this.retriable = options.retriable ?? false;
  }
}

/** `topic "t" partition 3 (group "g") on brokers 127.0.0.1:9092`, for error messages. */
export function describeKafkaContext(context: KafkaErrorContext): string {
  const parts: string[] = [];
  if (context.topic !== undefined) parts.push(`topic "${context.topic}"`);
  if (context.partition !== undefined) parts.push(`partition ${context.partition}`);
  if (context.groupId !== undefined) parts.push(`group "${context.groupId}"`);
  if (context.transactionalId !== undefined)
    parts.push(`transactional id "${context.transactionalId}"`);
  parts.push(`on brokers ${context.brokers.join(',')}`);
  return parts.join(' ');
}
