import { partitionOf } from '../util/hashing.js';
import { ConfigurationError, DStreamError } from '../util/errors.js';
import { requireFunction, requirePositiveInteger } from '../util/validation.js';

/**
 * Decides the partition of a key (Spark's Partitioner): `getPartition(key)` returns an integer
 * in `[0, numPartitions)`, the same for keys that are equal by value.
 */
export interface Partitioner<K> {
  /** The number of partitions. */
  readonly numPartitions: number;
  /** The partition of `key`. */
  getPartition(key: K): number;
}

/** The default partitioner: keys hashed by value into `numPartitions` partitions. */
export function hashPartitioner<K>(numPartitions: number): Partitioner<K> {
  requirePositiveInteger('numPartitions', numPartitions);
  return { numPartitions, getPartition: (key: K) => partitionOf(key, numPartitions) };
}

/** Checks that `partitioner` has a positive `numPartitions` and a `getPartition` function. */
export function requirePartitioner<K>(option: string, partitioner: Partitioner<K>): Partitioner<K> {
  if (partitioner === null || typeof partitioner !== 'object') {
    throw new ConfigurationError(
      option,
      partitioner,
      'expected { numPartitions, getPartition(key) }',
    );
  }
  requirePositiveInteger(`${option}.numPartitions`, partitioner.numPartitions);
  requireFunction(
    `${option}.getPartition`,
    (partitioner as { readonly getPartition?: unknown }).getPartition,
  );
  return partitioner;
}

/** The partition of `key` under `partitioner`, failing clearly when it is out of range. */
export function partitionUnder<K>(partitioner: Partitioner<K>, key: K): number {
  const partition = partitioner.getPartition(key);
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitioner.numPartitions) {
    throw new DStreamError(
      'PARTITION_OUT_OF_RANGE',
      `The partitioner gave partition ${String(partition)} for key ${JSON.stringify(key) ?? String(key)}; expected an integer in [0, ${partitioner.numPartitions})`,
    );
  }
  return partition;
}
