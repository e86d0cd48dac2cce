import {
  RecordDecoding,
  resolveDecoder,
  type DecodeErrorPolicy,
  type Decoder,
  type DecoderName,
  type Logger,
} from '@dstream/core';
import type { FetchedMessage, KafkaHeaders } from './kafka-client.js';
import type { KafkaRecord } from './kafka-record.js';

const NO_HEADERS: KafkaHeaders = Object.freeze({});

/**
 * Turns fetched messages into {@link KafkaRecord}s, decoding keys and values with the stream's
 * decoders and applying its `onDecodeError` policy. A failure names the topic, partition and
 * offset (and says when it was the key).
 */
export class KafkaRecordDecoder<K, V> {
  private readonly keys: RecordDecoding<K>;
  private readonly values: RecordDecoding<V>;
  private readonly deadLetters: boolean;

  constructor(
    keyDecoder: Decoder<K>,
    valueDecoder: Decoder<V>,
    policy: DecodeErrorPolicy,
    logger: Logger,
  ) {
    this.keys = new RecordDecoding(keyDecoder, policy, logger);
    this.values = new RecordDecoding(valueDecoder, policy, logger);
    this.deadLetters = typeof policy === 'object';
  }

  /** Says which input stream the records belong to, for its `BatchInfo` decode-failure counts. */
  bindStream(streamId: number): void {
    this.keys.bindStream(streamId);
    this.values.bindStream(streamId);
  }

  /** Undecodable records so far, per outcome, keys and values together. */
  get counts(): { failed: number; skipped: number; deadLettered: number } {
    const k = this.keys.counts;
    const v = this.values.counts;
    return {
      failed: k.failed + v.failed,
      skipped: k.skipped + v.skipped,
      deadLettered: k.deadLettered + v.deadLettered,
    };
  }

  /**
   * Appends the decoded records of one partition's messages to `out`; returns how many were
   * appended (fewer than the messages when the policy skipped some). Throws a `DecodeError`
   * under `'fail'`.
   */
  decode(
    topic: string,
    partition: number,
    messages: readonly FetchedMessage[],
    out: KafkaRecord<K, V>[],
  ): number {
    let offset = '';
    let keyPart = false;
    // One closure per fetched batch, reading the current offset: none per record.
    const source = (): string =>
      `topic ${topic} partition ${partition} offset ${offset}${keyPart ? ' (key)' : ''}`;
    const before = out.length;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i];
      offset = message.offset;
      let key: K | null = null;
      if (message.key !== null) {
        keyPart = true;
        const decoded = this.keys.decode(message.key, source);
        keyPart = false;
        if (decoded === RecordDecoding.SKIPPED) continue;
        key = decoded;
      }
      let value: V | null = null;
      if (message.value !== null) {
        const decoded = this.values.decode(message.value, source);
        if (decoded === RecordDecoding.SKIPPED) continue;
        value = decoded;
      }
      out.push({
        topic,
        partition,
        offset,
        key,
        value,
        headers: message.headers ?? NO_HEADERS,
        timestamp: Number(message.timestamp),
      });
    }
    return out.length - before;
  }

  /** Resolves once every dead letter handed over so far is written; await before acknowledging. */
  async flushDeadLetters(): Promise<void> {
    if (!this.deadLetters) return;
    await this.keys.pendingDeadLetters();
    await this.values.pendingDeadLetters();
  }
}

/** A decoder option as streams accept it: a built-in name or a function. */
export type DecoderOption<T> = DecoderName | Decoder<T>;

/** Resolves a decoder option; `'string'` when not given. */
export function resolveRecordDecoder<T>(
  option: string,
  value: DecoderOption<T> | undefined,
): Decoder<T> {
  return resolveDecoder<T>(option, value, 'string');
}
