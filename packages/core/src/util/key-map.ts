import { encodeCompositeKey, isPrimitiveKey } from './key-encoding.js';

interface CompositeEntry<K, V> {
  key: K;
  value: V;
}

/**
 * A map whose keys are compared by value: primitives as they are, composite keys (tuples,
 * objects) through their stable encoding. Iteration follows first insertion.
 */
export class KeyMap<K, V> {
  private readonly primitives = new Map<unknown, V>();
  private readonly composites = new Map<string, CompositeEntry<K, V>>();

  /** Number of keys. */
  get size(): number {
    return this.primitives.size + this.composites.size;
  }

  get(key: K): V | undefined {
    if (isPrimitiveKey(key)) return this.primitives.get(key);
    return this.composites.get(encodeCompositeKey(key))?.value;
  }

  has(key: K): boolean {
    if (isPrimitiveKey(key)) return this.primitives.has(key);
    return this.composites.has(encodeCompositeKey(key));
  }

  set(key: K, value: V): this {
    if (isPrimitiveKey(key)) {
      this.primitives.set(key, value);
    } else {
      const encoded = encodeCompositeKey(key);
      const entry = this.composites.get(encoded);
      if (entry) entry.value = value;
      else this.composites.set(encoded, { key, value });
    }
    return this;
  }

  delete(key: K): boolean {
    if (isPrimitiveKey(key)) return this.primitives.delete(key);
    return this.composites.delete(encodeCompositeKey(key));
  }

  clear(): void {
    this.primitives.clear();
    this.composites.clear();
  }

  /** Calls `visit` for every entry: no iterator objects are allocated per entry. */
  forEach(visit: (value: V, key: K) => void): void {
    this.primitives.forEach(visit as (value: V, key: unknown) => void);
    this.composites.forEach((entry) => visit(entry.value, entry.key));
  }

  *entries(): IterableIterator<[K, V]> {
    yield* this.primitives.entries() as IterableIterator<[K, V]>;
    for (const entry of this.composites.values()) yield [entry.key, entry.value];
  }

  *keys(): IterableIterator<K> {
    yield* this.primitives.keys() as IterableIterator<K>;
    for (const entry of this.composites.values()) yield entry.key;
  }
}
