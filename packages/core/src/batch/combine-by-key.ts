import { partitionOf } from '../util/hashing.js';
import { isPrimitiveKey } from '../util/key-encoding.js';
import { KeyMap } from '../util/key-map.js';
import type { RecordSink } from './narrow-pipeline.js';

/** How values of one key are combined: Spark's combineByKey functions. */
export interface Combiner<V, C> {
  /** Makes a combined value from the first value of a key. */
  readonly createCombiner: (value: V) => C;
  /** Adds one more value to a key's combined value. */
  readonly mergeValue: (combined: C, value: V) => C;
  /** Merges two combined values of one key (from different inputs). */
  readonly mergeCombiners: (left: C, right: C) => C;
}

/**
 * Combines the values of each key over all records pushed into it, in one pass: a record sink at
 * the end of a fused narrow pipeline. Primitive keys take a plain map; composite keys go through
 * their stable encoding.
 */
export class CombineByKeySink<K, V, C> implements RecordSink {
  private readonly primitives = new Map<unknown, C>();
  private readonly composites = new KeyMap<K, C>();
  private readonly createCombiner: (value: V) => C;
  private readonly mergeValue: (combined: C, value: V) => C;

  constructor(combiner: Combiner<V, C>) {
    this.createCombiner = combiner.createCombiner;
    this.mergeValue = combiner.mergeValue;
  }

  push(record: unknown): void {
    const pair = record as readonly [K, V];
    const key = pair[0];
    const map = isPrimitiveKey(key) ? this.primitives : this.composites;
    const existing = map.get(key);
    if (existing !== undefined || map.has(key)) {
      map.set(key, this.mergeValue(existing as C, pair[1]));
    } else {
      map.set(key, this.createCombiner(pair[1]));
    }
  }

  /** The combined entries, hash-partitioned by key into `numPartitions` partitions. */
  partitions(numPartitions: number): [K, C][][] {
    const output: [K, C][][] = Array.from({ length: numPartitions }, () => []);
    this.primitives.forEach((value, key) => {
      output[partitionOf(key, numPartitions)].push([key as K, value]);
    });
    this.composites.forEach((value, key) => {
      output[partitionOf(key, numPartitions)].push([key, value]);
    });
    return output;
  }
}

/** Spreads the entries of a key map over `numPartitions` partitions by the hash of the key. */
export function splitByKey<K, C>(entries: KeyMap<K, C>, numPartitions: number): [K, C][][] {
  const output: [K, C][][] = Array.from({ length: numPartitions }, () => []);
  entries.forEach((value, key) => {
    output[partitionOf(key, numPartitions)].push([key, value]);
  });
  return output;
}

/**
 * Groups the values of each key of several keyed inputs: for every key present in any input,
 * one entry `[key, [valuesOfInput0, valuesOfInput1, ...]]`, hash-partitioned by key.
 */
export function cogroupPartitions<K>(
  inputs: readonly (readonly (readonly (readonly [K, unknown])[])[])[],
  numPartitions: number,
): [K, unknown[][]][][] {
  const groups = new KeyMap<K, unknown[][]>();
  const width = inputs.length;
  for (let input = 0; input < width; input++) {
    const partitions = inputs[input];
    for (let p = 0; p < partitions.length; p++) {
      const records = partitions[p];
      for (let i = 0; i < records.length; i++) {
        const [key, value] = records[i];
        let group = groups.get(key);
        if (group === undefined) {
          group = Array.from({ length: width }, () => []);
          groups.set(key, group);
        }
        group[input].push(value);
      }
    }
  }
  return splitByKey(groups, numPartitions);
}
