import { SeededRandom } from './seeded-random.js';

/**
 * Kinds of malformed payload a fuzz run mixes in. Each one fails the `'json'` decoder;
 * `'invalid-utf8'` also fails the `'string'` decoder and text streams.
 * - `invalid-utf8`: a good-looking JSON record with an invalid UTF-8 sequence inside (a stray
 *   continuation byte, an overlong form, an encoded surrogate, a cut-short character, 0xFF, …);
 * - `truncated-json`: a good record cut short;
 * - `not-json`: text that looks like JSON but is not (single quotes, trailing commas, NaN, …);
 * - `binary`: random bytes, with at least one byte that is never valid UTF-8;
 * - `empty`: no bytes at all.
 */
export type BadPayloadKind = 'invalid-utf8' | 'truncated-json' | 'not-json' | 'binary' | 'empty';

/** Every {@link BadPayloadKind}. */
export const BAD_PAYLOAD_KINDS: readonly BadPayloadKind[] = [
  'invalid-utf8',
  'truncated-json',
  'not-json',
  'binary',
  'empty',
];

/** One payload of a fuzz run, in the order it is sent. */
export interface FuzzPayload {
  /** The position in the run, from 0. */
  readonly index: number;
  /** Whether the payload is a good record that must be delivered exactly once. */
  readonly good: boolean;
  /** The kind of malformation of a bad payload. */
  readonly kind: BadPayloadKind | 'good';
  readonly bytes: Buffer;
}

/** The field of a good record holding its identity, the index of its payload. */
export const FUZZ_ID_FIELD = 'fuzz';

/** Settings of {@link generateFuzzPayloads}. */
export interface FuzzPayloadOptions {
  /** The seed; the same seed and settings give the same payloads. */
  readonly seed: number;
  /** How many payloads, good and bad. */
  readonly count: number;
  /** The share of bad payloads (default 0.3). */
  readonly badRatio?: number;
  /** Which malformations to mix in (default: all). */
  readonly badKinds?: readonly BadPayloadKind[];
  /**
   * Payloads go one per line (text sockets, text and JSON-lines files): no payload holds `\n`
   * or `\r`, and none is empty (default false).
   */
  readonly lineSafe?: boolean;
  /** The share of good payloads made large, 2 to 8 KiB (default 0.005). */
  readonly largeRatio?: number;
}

/** The payloads of a fuzz run and what they hold. */
export interface FuzzPayloadSet {
  readonly seed: number;
  readonly payloads: readonly FuzzPayload[];
  readonly good: number;
  readonly bad: number;
}

const ALPHABETS: readonly string[] = [
  'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789',
  '"\\/\'{}[],:;`~!@#$%^&*()_+-=<>?|',
  'àéîõüñçßøåÆŒ',
  '中文字符測試日本語한국어',
  'Ωαβγδ Ж ж ש ع',
  '\t\n\r\u0000\u0001\u001f\u007f\u2028\u2029',
  '\ufffd\ufeff\u200b',
];
const EMOJI: readonly string[] = ['😀', '🚀', '👩‍💻', '🇫🇷', '𝄞', '🧪'];

const INVALID_SEQUENCES: readonly number[][] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf, 0x80],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc3, 0x28],
];

const NOT_JSON: readonly ((id: string) => string)[] = [
  (id) => `{'fuzz': '${id}'}`,
  (id) => `{"fuzz": "${id}",}`,
  (id) => `{"fuzz" "${id}"}`,
  (id) => `{fuzz: ${id}}`,
  (id) => `["${id}",`,
  (id) => `"unterminated ${id}`,
  (id) => `NaN${id}`,
  (id) => `undefined ${id}`,
  (id) => `{"fuzz": 0${id}1}`,
  (id) => `{"fuzz": "${id}"} trailing`,
  (id) => `{"fuzz": "\\x${id}"}`,
  (id) => `fuzz ${id} plain text`,
  () => `{"a": [1, 2}`,
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A seeded mix of good records and malformed payloads. A good payload is a JSON object whose
 * `fuzz` field is its index, with random text (ASCII, accents, CJK, emoji, quotes, escapes,
 * control characters, U+FFFD) and numbers; a bad one is one of `badKinds`. Every bad payload
 * is checked to fail JSON decoding (and, for `'invalid-utf8'` and `'binary'`, UTF-8 decoding).
 */
export function generateFuzzPayloads(options: FuzzPayloadOptions): FuzzPayloadSet {
  const random = new SeededRandom(options.seed);
  const badRatio = options.badRatio ?? 0.3;
  const lineSafe = options.lineSafe ?? false;
  const largeRatio = options.largeRatio ?? 0.005;
  const kinds = (options.badKinds ?? BAD_PAYLOAD_KINDS).filter(
    (kind) => !(lineSafe && kind === 'empty'),
  );
  if (kinds.length === 0 && badRatio > 0) {
    throw new RangeError('generateFuzzPayloads: no kind of bad payload left to generate');
  }
  const payloads: FuzzPayload[] = [];
  let good = 0;
  for (let index = 0; index < options.count; index++) {
    // The first payload is good, so that a file never starts with bytes read as a byte order mark.
    if (index === 0 || !random.chance(badRatio)) {
      const large = random.chance(largeRatio);
      payloads.push({
        index,
        good: true,
        kind: 'good',
        bytes: Buffer.from(goodRecord(random, index, large)),
      });
      good++;
    } else {
      const kind = random.pick(kinds);
      payloads.push({ index, good: false, kind, bytes: badPayload(random, index, kind, lineSafe) });
    }
  }
  return { seed: options.seed, payloads, good, bad: options.count - good };
}

function randomText(random: SeededRandom, length: number): string {
  let text = '';
  while (text.length < length) {
    if (random.chance(0.05)) text += random.pick(EMOJI);
    else {
      const alphabet = random.chance(0.6) ? ALPHABETS[0] : random.pick(ALPHABETS);
      text += alphabet[random.below(alphabet.length)];
    }
  }
  return text;
}

function goodRecord(random: SeededRandom, index: number, large: boolean): string {
  const record: Record<string, unknown> = {
    [FUZZ_ID_FIELD]: String(index),
    text: randomText(random, large ? random.between(2048, 8192) : random.between(0, 60)),
  };
  if (random.chance(0.5)) record.n = random.chance(0.5) ? random.next() * 1e6 : -random.below(1e9);
  if (random.chance(0.3)) record.nested = { list: [random.below(100), null, true, 'x'], empty: {} };
  return JSON.stringify(record);
}

function badPayload(
  random: SeededRandom,
  index: number,
  kind: BadPayloadKind,
  lineSafe: boolean,
): Buffer {
  for (;;) {
    const bytes = makeBad(random, index, kind, lineSafe);
    if (isBad(bytes, kind)) return bytes;
  }
}

function makeBad(
  random: SeededRandom,
  index: number,
  kind: BadPayloadKind,
  lineSafe: boolean,
): Buffer {
  const clean = (bytes: Buffer): Buffer => {
    if (lineSafe) {
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0x0a || bytes[i] === 0x0d) bytes[i] = 0xff;
      }
    }
    return bytes;
  };
  switch (kind) {
    case 'invalid-utf8': {
      const text = goodRecord(random, index, false);
      const cut = random.between(1, text.length - 1);
      // Cut at a character boundary (never inside a surrogate pair).
      const at = isLowSurrogate(text.charCodeAt(cut)) ? cut - 1 : cut;
      return Buffer.concat([
        Buffer.from(text.slice(0, at)),
        Buffer.from(random.pick(INVALID_SEQUENCES)),
        Buffer.from(text.slice(at)),
      ]);
    }
    case 'truncated-json': {
      const text = goodRecord(random, index, false);
      const cut = random.between(1, text.length - 1);
      const at = isLowSurrogate(text.charCodeAt(cut)) ? cut - 1 : cut;
      return Buffer.from(text.slice(0, Math.max(1, at)));
    }
    case 'not-json':
      return clean(Buffer.from(random.pick(NOT_JSON)(String(index))));
    case 'binary': {
      const bytes = Buffer.alloc(random.between(1, 64));
      for (let i = 0; i < bytes.length; i++) bytes[i] = random.below(256);
      bytes[random.below(bytes.length)] = 0xff;
      return clean(bytes);
    }
    case 'empty':
      return Buffer.alloc(0);
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Whether `bytes` fails JSON decoding, and UTF-8 decoding for the kinds that promise it. */
function isBad(bytes: Buffer, kind: BadPayloadKind): boolean {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return true;
  }
  if (kind === 'invalid-utf8' || kind === 'binary') return false;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}
