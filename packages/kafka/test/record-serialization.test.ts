import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@dstream/core';
import { resolveHeaders, resolveSerializer } from '../src/record-serialization.js';

describe('serializing sink records', () => {
  it("'string' writes strings, numbers and booleans as text and refuses objects", () => {
    const string = resolveSerializer<unknown>('value', 'string');
    expect(string('héllo')).toBe('héllo');
    expect(string(42)).toBe('42');
    expect(string(null)).toBeNull();
    expect(() => string({ a: 1 })).toThrow(
      "'string' serializes strings, numbers and booleans, not a value of type object; use 'json' or a function",
    );
  });

  it("'json' writes JSON text, 'buffer' writes bytes as they are", () => {
    expect(resolveSerializer<unknown>('value', 'json')({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    expect(() => resolveSerializer<unknown>('value', 'json')(undefined)).toThrow(
      'has no JSON form',
    );
    const bytes = new Uint8Array([1, 2, 3]).subarray(1);
    expect(resolveSerializer<unknown>('value', 'buffer')(bytes)).toEqual(Buffer.from([2, 3]));
    expect(() => resolveSerializer<unknown>('value', 'buffer')('text')).toThrow(
      "'buffer' serializes Buffers and Uint8Arrays",
    );
  });

  it('custom functions may return Buffers, strings or null, nothing else', () => {
    expect(resolveSerializer<number>('key', (n) => `k${n}`)(3)).toBe('k3');
    expect(resolveSerializer<number>('key', () => undefined)(3)).toBeNull();
    expect(() => resolveSerializer<number>('key', (() => 5) as never)(3)).toThrow(
      'the key function returned number; expected a Buffer, a string or null',
    );
    expect(() => resolveSerializer('key', 'avro' as never)).toThrow(ConfigurationError);
  });

  it('serializes header values: text and bytes as they are, numbers as text, objects as JSON, arrays as repeated headers', () => {
    const headers = resolveHeaders<{ id: number }>((r) => ({
      id: r.id,
      trace: { span: 'a' },
      raw: Buffer.from('x'),
      tags: ['a', 1],
      missing: undefined,
    }));
    expect(headers?.({ id: 7 })).toEqual({
      id: '7',
      trace: '{"span":"a"}',
      raw: Buffer.from('x'),
      tags: ['a', '1'],
    });
    const fixed = resolveHeaders({ app: 'billing' });
    expect(fixed?.(undefined)).toEqual({ app: 'billing' });
  });
});
