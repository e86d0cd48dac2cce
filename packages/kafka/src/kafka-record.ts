import type { KafkaHeaders } from './kafka-client.js';

/**
 * One record read from Kafka, with its key and value decoded.
 *
 * Offsets are decimal strings, as Kafka clients for JavaScript give them: exact for every
 * 64-bit offset and safe to serialize. Compare them with `BigInt(record.offset)`.
 */
export interface KafkaRecord<K = string, V = string> {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset in its partition, as a decimal string. */
  readonly offset: string;
  /** The decoded key; `null` when the record has no key. */
  readonly key: K | null;
  /** The decoded value; `null` for a tombstone (a record without a value). */
  readonly value: V | null;
  /** Headers as sent: values are bytes (`Buffer`), repeated keys give arrays. */
  readonly headers: KafkaHeaders;
  /** The record's timestamp in milliseconds since the epoch. */
  readonly timestamp: number;
}

export type { KafkaHeaders };
