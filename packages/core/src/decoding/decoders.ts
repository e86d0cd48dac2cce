import { ConfigurationError } from '../util/errors.js';

/** Turns a raw payload into a record; throws when it cannot. */
export type Decoder<T> = (payload: Buffer) => T;

/** The built-in decoders by name. */
export type DecoderName = 'string' | 'json' | 'buffer';

/** UTF-8 text; fails on invalid UTF-8 rather than inventing replacement characters. */
export const stringDecoder: Decoder<string> = (payload) => utf8.decode(payload);

/** One JSON value per payload. */
export const jsonDecoder: Decoder<unknown> = (payload) => JSON.parse(utf8.decode(payload));

/** The payload bytes as they are. */
export const bufferDecoder: Decoder<Buffer> = (payload) => payload;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The decoder for a name or a custom function, validated; `option` names the setting in errors. */
export function resolveDecoder<T>(
  option: string,
  decoder: DecoderName | Decoder<T> | undefined,
  fallback: DecoderName = 'string',
): Decoder<T> {
  const chosen = decoder ?? fallback;
  if (typeof chosen === 'function') return chosen;
  switch (chosen) {
    case 'string':
      return stringDecoder as unknown as Decoder<T>;
    case 'json':
      return jsonDecoder as Decoder<T>;
    case 'buffer':
      return bufferDecoder as unknown as Decoder<T>;
    default:
      throw new ConfigurationError(
        option,
        chosen,
        "expected 'string', 'json', 'buffer' or a function (payload: Buffer) => record",
      );
  }
}
