import { describe, expect, it } from 'vitest';
import {
  decodeReading,
  deviceOfTopic,
  readingsTopic,
  readingsTopicFilter,
} from '../src/sensor-reading.js';

const valid = { ts: 1_700_000_000_000, temperature: 21.5, humidity: 45.2, battery: 87 };

function payload(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

describe('topics', () => {
  it('puts the device in the middle level and finds it there again', () => {
    expect(readingsTopic('sensors', 'sensor-0042')).toBe('sensors/sensor-0042/readings');
    expect(readingsTopicFilter('site-1/sensors')).toBe('site-1/sensors/+/readings');
    expect(deviceOfTopic('sensors/sensor-0042/readings')).toBe('sensor-0042');
    expect(deviceOfTopic('site-1/sensors/boiler/readings')).toBe('boiler');
  });
});

describe('decodeReading', () => {
  it('accepts a JSON object with a timestamp and the three measures in range', () => {
    expect(decodeReading(payload(valid))).toEqual(valid);
    expect(decodeReading(payload({ ...valid, extra: 'ignored' }))).toEqual(valid);
    expect(
      decodeReading(payload({ ...valid, temperature: -20, humidity: 0, battery: 100 })),
    ).toEqual({
      ...valid,
      temperature: -20,
      humidity: 0,
      battery: 100,
    });
  });

  it.each([
    ['truncated JSON', '{"ts":1700000000000,"temperature":2', /JSON/],
    ['an empty payload', '', /JSON/],
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x7b]), /utf-8/i],
    [
      'NaN, which JSON does not have',
      '{"ts":1,"temperature":1,"humidity":1,"battery":NaN}',
      /JSON/,
    ],
    ['a JSON array', [1, 2, 3], /expected a JSON object/],
    ['a JSON string', '"hello"', /expected a JSON object/],
    ['null', 'null', /expected a JSON object/],
    [
      'a text temperature',
      { ...valid, temperature: 'hot' },
      /temperature: expected a number, got "hot"/,
    ],
    [
      'a missing battery',
      { ts: valid.ts, temperature: 20, humidity: 40 },
      /battery: expected a number, got nothing/,
    ],
    ['an impossible humidity', { ...valid, humidity: 180 }, /humidity: 180 is outside 0\.\.100/],
    ['a negative battery', { ...valid, battery: -1 }, /battery: -1 is outside 0\.\.100/],
    ['a fractional timestamp', { ...valid, ts: 1.5 }, /ts: expected a positive integer/],
    [
      'no timestamp',
      { temperature: 20, humidity: 40, battery: 50 },
      /ts: expected a positive integer timestamp in milliseconds, got nothing/,
    ],
  ])('rejects %s, saying why', (_name, input, reason) => {
    const bytes = Buffer.isBuffer(input) ? input : payload(input);
    expect(() => decodeReading(bytes)).toThrow(reason);
  });
});
