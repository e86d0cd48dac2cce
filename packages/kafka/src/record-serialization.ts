import { ConfigurationError } from '@dstream/core';
import type { OutgoingMessage } from './kafka-client.js';

/** The built-in serializations: UTF-8 text, JSON text, or the bytes as they are. */
export type SerializerName = 'string' | 'json' | 'buffer';

/**
 * How a sink turns a record into a key or value: a built-in name applied to the whole record,
 * or a function returning the bytes (`Buffer`), text (`string`, written as UTF-8) or `null`.
 */
export type Serializer<T> = SerializerName | ((record: T) => Buffer | string | null | undefined);

/** A header value: strings and Buffers as they are, numbers and booleans as text, objects as JSON. */
export type HeaderValue = string | Buffer | number | boolean | bigint | object | null | undefined;

/** Headers of every message, or a function giving each record's headers. */
export type HeadersOption<T> =
  | Readonly<Record<string, HeaderValue | readonly HeaderValue[]>>
  | ((record: T) => Readonly<Record<string, HeaderValue | readonly HeaderValue[]>> | undefined);

/** A serializer resolved to a function; throws an `Error` saying what was wrong with the record. */
export type SerializeFunction<T> = (record: T) => Buffer | string | null;

/** Resolves a serializer option; `option` names it in errors. */
export function resolveSerializer<T>(option: string, value: Serializer<T>): SerializeFunction<T> {
  if (typeof value === 'function') {
    return (record) => {
      const result = value(record);
      if (result === undefined || result === null) return null;
      if (typeof result === 'string' || Buffer.isBuffer(result)) return result;
      throw new Error(
        `the ${option} function returned ${typeof result}; expected a Buffer, a string or null`,
      );
    };
  }
  switch (value) {
    case 'string':
      return (record) => {
        if (typeof record === 'string') return record;
        if (typeof record === 'number' || typeof record === 'boolean' || typeof record === 'bigint')
          return String(record);
        if (record === null || record === undefined) return null;
        throw new Error(
          `'string' serializes strings, numbers and booleans, not ${describe(record)}; use 'json' or a function`,
        );
      };
    case 'json':
      return (record) => {
        const text = JSON.stringify(record);
        if (text === undefined) throw new Error(`${describe(record)} has no JSON form`);
        return text;
      };
    case 'buffer':
      return (record) => {
        if (Buffer.isBuffer(record)) return record;
        if (record instanceof Uint8Array)
          return Buffer.from(record.buffer, record.byteOffset, record.byteLength);
        if (record === null || record === undefined) return null;
        throw new Error(`'buffer' serializes Buffers and Uint8Arrays, not ${describe(record)}`);
      };
    default:
      throw new ConfigurationError(
        option,
        value,
        "expected 'string', 'json', 'buffer' or a function (record) => Buffer | string | null",
      );
  }
}

/** Resolves the headers option to a function giving a message's headers. */
export function resolveHeaders<T>(
  value: HeadersOption<T> | undefined,
): ((record: T) => OutgoingMessage['headers']) | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return (record) => serializeHeaders(value(record));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(
      'headers',
      value,
      'expected an object of header values or a function (record) => headers',
    );
  }
  let fixed: OutgoingMessage['headers'];
  try {
    fixed = serializeHeaders(value);
  } catch (error) {
    throw new ConfigurationError('headers', value, (error as Error).message);
  }
  return () => fixed;
}

function serializeHeaders(
  headers: Readonly<Record<string, HeaderValue | readonly HeaderValue[]>> | undefined,
): OutgoingMessage['headers'] {
  if (headers === undefined || headers === null) return undefined;
  const out: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value)) {
      const values: (Buffer | string)[] = [];
      for (const item of value as readonly HeaderValue[]) {
        const serialized = headerValue(key, item);
        if (serialized !== undefined) values.push(serialized);
      }
      out[key] = values;
    } else {
      const serialized = headerValue(key, value);
      if (serialized !== undefined) out[key] = serialized;
    }
  }
  return out;
}

function headerValue(key: string, value: HeaderValue): Buffer | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error(`header "${key}" has no JSON form`);
  return text;
}

function describe(value: unknown): string {
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : `a value of type ${typeof value}`;
}
