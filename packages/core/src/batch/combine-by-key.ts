import { partitionOf } from '../util/hashing.js';
import { KeyMap } from '../util/key-map.js';

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
 * Combines the values of each key over all partitions in one pass, then hash-partitions the
 * combined entries into `numPartitions` partitions by key.
 */
export function combinePartitionsByKey<K, V, C>(
  partitions: readonly (readonly (readonly [K, V])[])[],
  combiner: Combiner<V, C>,
  numPartitions: number,
): [K, C][][] {
  const combined = new KeyMap<K, C>();
  const { createCombiner, mergeValue } = combiner;
  for (let p = 0; p < partitions.length; p++) {
    const records = partitions[p];
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const key = record[0];
      const existing = combined.get(key);
      if (existing === undefined && !combined.has(key)) {
        combined.set(key, createCombiner(record[1]));
      } else {
        combined.set(key, mergeValue(existing as C, record[1]));
      }
    }
  }
  return splitByKey(combined, numPartitions);
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
