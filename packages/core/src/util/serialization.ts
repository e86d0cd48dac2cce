/**
 * JSON with the types stream state commonly holds: Map, Set, Date, Buffer / Uint8Array, bigint,
 * undefined and non-finite numbers survive a round trip. Used for checkpoints and the write-ahead
 * log. Functions and class instances other than these are not supported: state must be data.
 */
const TAG = '$dstream';

export function serialize(value: unknown): string {
  return JSON.stringify(encode(value));
}

export function deserialize(text: string): unknown {
  return decode(JSON.parse(text));
}

function encode(value: unknown): unknown {
  if (value === undefined) return { [TAG]: 'undefined' };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number')
    return Number.isFinite(value) ? value : { [TAG]: 'number', v: String(value) };
  if (typeof value === 'bigint') return { [TAG]: 'bigint', v: value.toString() };
  if (Array.isArray(value)) return value.map(encode);
  if (value instanceof Uint8Array)
    return {
      [TAG]: 'bytes',
      v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    };
  if (value instanceof Date) return { [TAG]: 'date', v: value.getTime() };
  if (value instanceof Map)
    return { [TAG]: 'map', v: [...value].map(([k, v]) => [encode(k), encode(v)]) };
  if (value instanceof Set) return { [TAG]: 'set', v: [...value].map(encode) };
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>))
      out[key] = encode(item);
    return TAG in out ? { [TAG]: 'object', v: out } : out;
  }
  throw new TypeError(
    `Cannot serialize a ${typeof value}: checkpointed state and received records must be data`,
  );
}

function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  const record = value as Record<string, unknown>;
  const tag = record[TAG];
  if (tag === undefined) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record)) out[key] = decode(item);
    return out;
  }
  switch (tag) {
    case 'undefined':
      return undefined;
    case 'number':
      return Number(record.v);
    case 'bigint':
      return BigInt(record.v as string);
    case 'bytes':
      return Buffer.from(record.v as string, 'base64');
    case 'date':
      return new Date(record.v as number);
    case 'map':
      return new Map((record.v as [unknown, unknown][]).map(([k, v]) => [decode(k), decode(v)]));
    case 'set':
      return new Set((record.v as unknown[]).map(decode));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(record.v as Record<string, unknown>))
        out[key] = decode(item);
      return out;
    }
    default:
      throw new TypeError(`Unknown serialized type ${JSON.stringify(tag)}`);
  }
}
