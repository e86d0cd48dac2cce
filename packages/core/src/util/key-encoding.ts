/**
 * Keys are compared by value. Primitives (strings, numbers, booleans, bigints, null, undefined)
 * compare as they are; composite keys (arrays, plain objects, Dates, Buffers) compare through a
 * stable encoding in which object properties are sorted, so `{a: 1, b: 2}` and `{b: 2, a: 1}`
 * are the same key.
 */
export type PrimitiveKey = string | number | boolean | bigint | null | undefined;

/** Whether `key` is compared as it is (a primitive) rather than through its encoding. */
export function isPrimitiveKey(key: unknown): key is PrimitiveKey {
  return (
    key === null ||
    (typeof key !== 'object' && typeof key !== 'function' && typeof key !== 'symbol')
  );
}

/** The stable encoding of a composite key; equal keys have equal encodings. */
export function encodeCompositeKey(key: unknown): string {
  let out = '';
  const write = (value: unknown): void => {
    if (value === null) {
      out += 'n';
    } else if (value === undefined) {
      out += 'u';
    } else if (typeof value === 'string') {
      out += 's' + JSON.stringify(value);
    } else if (typeof value === 'number') {
      out += 'd' + (Object.is(value, -0) ? '0' : String(value));
    } else if (typeof value === 'boolean') {
      out += value ? 'T' : 'F';
    } else if (typeof value === 'bigint') {
      out += 'b' + value.toString();
    } else if (value instanceof Date) {
      out += 'D' + String(value.getTime());
    } else if (value instanceof Uint8Array) {
      out += 'B' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    } else if (Array.isArray(value)) {
      out += '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out += ',';
        write(value[i]);
      }
      out += ']';
    } else if (value instanceof Map) {
      write([...value.entries()].sort(compareEncodedEntries));
    } else if (typeof value === 'object') {
      const record = value as Record<string, unknown>;
      const names = Object.keys(record).sort();
      out += '{';
      for (let i = 0; i < names.length; i++) {
        if (i > 0) out += ',';
        out += JSON.stringify(names[i]) + ':';
        write(record[names[i]]);
      }
      out += '}';
    } else {
      throw new TypeError(`A ${typeof value} cannot be used as a key`);
    }
  };
  write(key);
  return out;
}

function compareEncodedEntries(a: [unknown, unknown], b: [unknown, unknown]): number {
  const ka = encodeCompositeKey(a[0]);
  const kb = encodeCompositeKey(b[0]);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
