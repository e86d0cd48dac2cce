/**
 * @dstream/kafka: Kafka for dstream. A consumer-group receiver stream ({@link kafkaStream}), a
 * direct stream with exact offset ranges ({@link kafkaDirectStream}) and a sink with batched,
 * idempotent or transactional writes ({@link kafkaSink}).
 */
export { kafkaStream, createKafkaReceiver } from './kafka-stream.js';
export type { KafkaStreamOptions, KafkaReceiverOptions } from './kafka-stream.js';
export { KafkaReceiver } from './kafka-receiver.js';

export { kafkaDirectStream } from './kafka-direct-stream.js';
export type {
  KafkaDirectStream,
  KafkaDirectStreamControl,
  KafkaDirectStreamOptions,
  ExplicitStartingOffsets,
} from './kafka-direct-stream.js';
export type { KafkaDirectStreamSnapshot } from './kafka-direct-source.js';

export { kafkaSink } from './kafka-sink.js';
export type { KafkaSinkOptions, KafkaTransactionalOptions } from './kafka-sink.js';
export type {
  Serializer,
  SerializerName,
  HeadersOption,
  HeaderValue,
} from './record-serialization.js';

export type { KafkaRecord, KafkaHeaders } from './kafka-record.js';
export { offsetRangesOf, offsetRangeSize } from './offset-range.js';
export type { OffsetRange, KafkaDirectBatchMetadata } from './offset-range.js';

export { KafkaError } from './kafka-error.js';
export type { KafkaErrorCode, KafkaErrorContext } from './kafka-error.js';

export type {
  KafkaClientOptions,
  KafkaSaslOptions,
  KafkaRetryOptions,
  KafkaClientLogLevel,
} from './kafka-client-options.js';
export type {
  KafkaConsumerOptions,
  IsolationLevel,
  AutoOffsetReset,
} from './kafka-consumer-options.js';
