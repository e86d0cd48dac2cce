import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  deadLetter,
  jsonDecoder,
  silentLogger,
  stringDecoder,
  type DeadLetterRecord,
} from '@dstream/core';
import type { FetchedMessage } from '../src/kafka-client.js';
import { KafkaRecordDecoder } from '../src/kafka-record-decoder.js';
import type { KafkaRecord } from '../src/kafka-record.js';

const message = (offset: number, key: string | null, value: string | null): FetchedMessage => ({
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: '1700000000000',
  headers: { h: Buffer.from('v') },
});

describe('decoding fetched Kafka messages into records', () => {
  it('decodes keys and values, keeps null keys and tombstones as null, and carries position, headers and time', () => {
    const decoder = new KafkaRecordDecoder<string, unknown>(
      stringDecoder,
      jsonDecoder,
      'fail',
      silentLogger,
    );
    const out: KafkaRecord<string, unknown>[] = [];
    expect(
      decoder.decode('orders', 2, [message(7, 'a', '{"n":1}'), message(8, null, null)], out),
    ).toBe(2);
    expect(out).toEqual([
      {
        topic: 'orders',
        partition: 2,
        offset: '7',
        key: 'a',
        value: { n: 1 },
        headers: { h: Buffer.from('v') },
        timestamp: 1700000000000,
      },
      {
        topic: 'orders',
        partition: 2,
        offset: '8',
        key: null,
        value: null,
        headers: { h: Buffer.from('v') },
        timestamp: 1700000000000,
      },
    ]);
  });

  it("'fail' raises a DecodeError naming the topic, partition and offset, and whether the key failed", () => {
    const decoder = new KafkaRecordDecoder<unknown, unknown>(
      jsonDecoder,
      jsonDecoder,
      'fail',
      silentLogger,
    );
    expect(() =>
      decoder.decode('orders', 1, [message(41, '1', '{}'), message(42, '1', 'not json')], []),
    ).toThrow(
      expect.objectContaining({
        name: 'DecodeError',
        source: 'topic orders partition 1 offset 42',
      }) as DecodeError,
    );
    expect(() => decoder.decode('orders', 0, [message(3, '{', '{}')], [])).toThrow(
      'Cannot decode record from topic orders partition 0 offset 3 (key)',
    );
  });

  it("'skip' leaves undecodable records out and counts them", () => {
    const decoder = new KafkaRecordDecoder<string, unknown>(
      stringDecoder,
      jsonDecoder,
      'skip',
      silentLogger,
    );
    const out: KafkaRecord<string, unknown>[] = [];
    expect(
      decoder.decode(
        't',
        0,
        [message(0, 'k', '1'), message(1, 'k', '{'), message(2, 'k', '3')],
        out,
      ),
    ).toBe(2);
    expect(out.map((r) => r.value)).toEqual([1, 3]);
    expect(decoder.counts).toEqual({ failed: 0, skipped: 1, deadLettered: 0 });
  });

  it('deadLetter(sink) hands undecodable records to the sink with their source and payload', async () => {
    const letters: DeadLetterRecord[] = [];
    const sink = {
      guarantee: 'at-least-once' as const,
      write: (records: readonly DeadLetterRecord[]) => void letters.push(...records),
    };
    const decoder = new KafkaRecordDecoder<string, unknown>(
      stringDecoder,
      jsonDecoder,
      deadLetter(sink),
      silentLogger,
    );
    const out: KafkaRecord<string, unknown>[] = [];
    decoder.decode('t', 3, [message(10, 'k', 'oops'), message(11, 'k', '2')], out);
    await decoder.flushDeadLetters();
    expect(out.map((r) => r.offset)).toEqual(['11']);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      source: 'topic t partition 3 offset 10',
      payload: Buffer.from('oops'),
    });
  });
});
