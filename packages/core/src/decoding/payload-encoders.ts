import { ConfigurationError } from '../util/errors.js';

/** The built-in payload encoders by name. */
export type PayloadEncoderName = 'auto' | 'string' | 'json' | 'buffer';

/** Turns a record into the bytes or text published. */
export type PayloadEncoder<T> = (record: T) => string | Buffer | Uint8Array;

/**
 * The encoder for a name or a function: `'auto'` (the default) publishes a Buffer or Uint8Array
 * as it is, a string as UTF-8 and anything else as JSON; `'string'` publishes `String(record)`;
 * `'json'` publishes `JSON.stringify(record)`; `'buffer'` requires Buffers or Uint8Arrays.
 */
export function resolvePayloadEncoder<T>(
  option: string,
  encoder: PayloadEncoderName | PayloadEncoder<T> | undefined,
): (record: T) => string | Buffer {
  const chosen = encoder ?? 'auto';
  if (typeof chosen === 'function') return (record) => asPublishable(chosen(record));
  switch (chosen) {
    case 'auto':
      return (record) =>
        typeof record === 'string'
          ? record
          : record instanceof Uint8Array
            ? asPublishable(record)
            : json(record);
    case 'string':
      return (record) => String(record);
    case 'json':
      return json;
    case 'buffer':
      return (record) => {
        if (record instanceof Uint8Array) return asPublishable(record);
        throw new TypeError(
          `expected a Buffer or Uint8Array record with encoder 'buffer', got ${typeof record}`,
        );
      };
    default:
      throw new ConfigurationError(
        option,
        chosen,
        "expected 'auto', 'string', 'json', 'buffer' or a function (record) => string | Buffer",
      );
  }
}

function json(record: unknown): string {
  const text = JSON.stringify(record);
  if (text === undefined) throw new TypeError(`cannot encode ${typeof record} as JSON`);
  return text;
}

function asPublishable(value: string | Buffer | Uint8Array): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(
    `expected the encoder to return a string, Buffer or Uint8Array, got ${typeof value}`,
  );
}
