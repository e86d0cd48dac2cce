/**
 * @dstream/core: the engine. A {@link StreamingContext} runs a graph of {@link DStream}s, cut
 * into {@link Batch}es every batch interval, fed by receivers and input sources, written by
 * output operations and sinks.
 */
export { StreamingContext } from './streaming-context.js';
export type { StreamingContextState, StopOptions } from './streaming-context.js';
export type {
  StreamingContextOptions,
  ResolvedStreamingContextOptions,
} from './streaming-context-options.js';

export { Batch } from './batch/batch.js';
export type { Combiner } from './batch/combine-by-key.js';

export { DStream } from './dstream/dstream.js';
export type { DStreamComputation, StatefulComputation } from './dstream/dstream-computation.js';
export type { BatchFunction, Job } from './dstream/foreach-dstream.js';
export type { InputSource, InputBatch } from './dstream/input-dstream.js';
export type { ReceiverStreamOptions } from './dstream/receiver-input-dstream.js';
export { IllegalArgumentError } from './dstream/illegal-argument-error.js';
export type { BatchesOf } from './dstream/transformed-dstream.js';
export { StateSpec } from './dstream/state-spec.js';
export type { State } from './dstream/state.js';
export type {
  StateUpdateFunction,
  PartitionStateUpdateFunction,
  KeyStateEntry,
} from './dstream/state-dstream.js';
export type { UpdateStateByKeyOptions } from './dstream/dstream.js';
export { hashPartitioner } from './batch/partitioner.js';
export type { Partitioner } from './batch/partitioner.js';
export type { MapWithStateDStream } from './dstream/map-with-state-dstream.js';

export { Receiver } from './receiver/receiver.js';
export type { ReceiverContext } from './receiver/receiver-context.js';
export type { ReceiverCapabilities, AckMode } from './receiver/receiver-capabilities.js';
export { ACK_MODES } from './receiver/receiver-capabilities.js';
export type { Block, BlockMetadata, AcknowledgeableBlock } from './receiver/block.js';
export { RateLimiter } from './receiver/rate-limiter.js';

export type { Sink, SinkGuarantee, SinkWriteContext, SinkBatchContext } from './sink/sink.js';
export { BatchDirectoryWriter, batchDirectory } from './output/batch-directory-writer.js';
export { syncDirectory, systemErrorCode } from './util/file-system.js';
export { formatRecord } from './output/print-batch.js';

export type { StreamingListener } from './listener/streaming-listener.js';
export type {
  BatchInfo,
  OutputOperationInfo,
  ReceiverInfo,
  StreamInputInfo,
} from './listener/batch-info.js';

export { SystemClock, ManualClock } from './util/clock.js';
export type { Clock } from './util/clock.js';
export { milliseconds, seconds, minutes, hours, formatDuration } from './util/duration.js';
export type { Duration } from './util/duration.js';
export {
  DStreamError,
  ConfigurationError,
  IllegalStateError,
  ReceiverError,
  OutputOperationError,
  DecodeError,
} from './util/errors.js';
export type { Logger } from './util/logger.js';
export { silentLogger } from './util/logger.js';
export { stderrLogger } from './util/stderr-logger.js';
export type { LogLevel, StderrLoggerOptions } from './util/stderr-logger.js';
export { KeyMap } from './util/key-map.js';
export { hashKey, partitionOf, crc32 } from './util/hashing.js';
export {
  requirePositiveInteger,
  requireNonNegativeInteger,
  requirePositiveNumber,
  requireOneOf,
  requireFunction,
  requireNonEmptyString,
  requireKnownOptions,
  optionalBoolean,
} from './util/validation.js';
export { ReconnectBackoff, resolveReconnectBackoff } from './util/reconnect-backoff.js';
export type { ReconnectBackoffSettings } from './util/reconnect-backoff.js';

export { stringDecoder, jsonDecoder, bufferDecoder, resolveDecoder } from './decoding/decoders.js';
export type { Decoder, DecoderName } from './decoding/decoders.js';
export { resolvePayloadEncoder } from './decoding/payload-encoders.js';
export type { PayloadEncoder, PayloadEncoderName } from './decoding/payload-encoders.js';
export { RecordDecoding, deadLetter } from './decoding/decode-error-policy.js';
export type {
  DecodeErrorPolicy,
  DeadLetterPolicy,
  DeadLetterRecord,
  DeadLetterOptions,
  DecodeFailureCounts,
  RecordDecodingOptions,
} from './decoding/decode-error-policy.js';
export type { DecodeFailureSummary } from './decoding/decode-failure-ledger.js';

export {
  PidRateEstimator,
  resolvePidRateEstimatorOptions,
  DEFAULT_PID_RATE_ESTIMATOR_OPTIONS,
} from './scheduler/pid-rate-estimator.js';
export type {
  PidRateEstimatorOptions,
  ResolvedPidRateEstimatorOptions,
} from './scheduler/pid-rate-estimator.js';
export { RateController } from './scheduler/rate-controller.js';
export type {
  RateControllerOptions,
  RateControlledStream,
  RatePublisher,
} from './scheduler/rate-controller.js';
export { maxMessagesPerPartition } from './scheduler/partition-rate-limit.js';
export type { PartitionRateLimitInput } from './scheduler/partition-rate-limit.js';
export type { WriteAheadLogSettings } from './streaming-context-options.js';
export type { CheckpointStore } from './checkpoint/checkpoint-store.js';
export { LocalCheckpointStore } from './checkpoint/local-checkpoint-store.js';
export type { Checkpoint } from './checkpoint/checkpoint.js';
export type { MappingFunction } from './dstream/state-spec.js';
export type { KeyedStateSnapshot } from './dstream/state-dstream.js';
export type { MapWithStateSnapshot } from './dstream/map-with-state-dstream.js';
export { CheckpointError } from './util/errors.js';
export { serialize, deserialize } from './util/serialization.js';
