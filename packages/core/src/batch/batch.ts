import { CombineByKeySink, cogroupPartitions, type Combiner } from './combine-by-key.js';
import {
  runNarrowPipeline,
  runNarrowPipelineInto,
  type NarrowOperation,
  type RecordSink,
} from './narrow-pipeline.js';
import { partitionOf } from '../util/hashing.js';
import { requirePositiveInteger } from '../util/validation.js';

type Partitions<T> = readonly (readonly T[])[];

/**
 * The records of one DStream at one batch time: an immutable, partitioned collection (Spark's
 * RDD). Narrow transformations are lazy and fused: `batch.map(f).filter(g)` makes one pass over
 * each partition when the result is first read. Wide transformations (reduceByKey, groupByKey,
 * join, cogroup, repartition) hash-partition by key, comparing keys by value.
 *
 * Key-value operations exist only on batches of `[key, value]` pairs.
 */
export class Batch<T> {
  private materialized: T[][] | undefined;

  private constructor(
    /** Where records come from: already-computed partitions or a parent batch. */
    private readonly source: Batch<unknown> | (() => Partitions<unknown>),
    /** Narrow operations still to apply to the source, fused into one pass. */
    private readonly operations: readonly NarrowOperation[],
    private readonly partitionCount: number,
  ) {}

  /**
   * A batch of the given records cut into `numPartitions` contiguous slices as Spark's
   * `parallelize` cuts them: partition `i` holds the records at indexes
   * `[floor(i·n/p), floor((i+1)·n/p))` of the `n` records, so sizes differ by at most one and
   * the larger partitions come last.
   */
  static of<T>(records: readonly T[], numPartitions = 1): Batch<T> {
    requirePositiveInteger('numPartitions', numPartitions);
    if (numPartitions === 1) return Batch.fromPartitions([records]);
    const n = records.length;
    const partitions: T[][] = new Array<T[]>(numPartitions);
    for (let i = 0; i < numPartitions; i++) {
      const start = Math.floor((i * n) / numPartitions);
      const end = Math.floor(((i + 1) * n) / numPartitions);
      partitions[i] = records.slice(start, end);
    }
    return Batch.fromPartitions(partitions);
  }

  /** A batch whose partitions are the given arrays (used as they are, never modified). */
  static fromPartitions<T>(partitions: Partitions<T>): Batch<T> {
    const batch = new Batch<T>(() => partitions, [], partitions.length);
    batch.materialized = partitions as T[][];
    return batch;
  }

  /** A batch computed on first read by `compute`, with `numPartitions` partitions. */
  static lazy<T>(numPartitions: number, compute: () => Partitions<T>): Batch<T> {
    return new Batch<T>(compute, [], numPartitions);
  }

  /** A batch with no records and one empty partition. */
  static empty<T>(): Batch<T> {
    return Batch.fromPartitions([[]]);
  }

  /** The number of partitions. */
  get numPartitions(): number {
    return this.partitionCount;
  }

  /** The partitions, computed on first read and kept. Do not modify them. */
  get partitions(): readonly (readonly T[])[] {
    return this.compute();
  }

  /** All records, partition after partition, in a new array. */
  collect(): T[] {
    const partitions = this.compute();
    if (partitions.length === 1) return partitions[0].slice();
    const out: T[] = [];
    for (const partition of partitions)
      for (let i = 0; i < partition.length; i++) out.push(partition[i]);
    return out;
  }

  /** The number of records. */
  count(): number {
    let total = 0;
    for (const partition of this.compute()) total += partition.length;
    return total;
  }

  /** Whether the batch holds no record. */
  isEmpty(): boolean {
    return this.compute().every((partition) => partition.length === 0);
  }

  /** The first `n` records. */
  take(n: number): T[] {
    const out: T[] = [];
    for (const partition of this.compute()) {
      for (let i = 0; i < partition.length && out.length < n; i++) out.push(partition[i]);
      if (out.length >= n) break;
    }
    return out;
  }

  /** Applies `fn` to every record. */
  map<U>(fn: (value: T) => U): Batch<U> {
    return this.narrow({ kind: 'map', fn });
  }

  /** Keeps the records for which `predicate` holds. */
  filter(predicate: (value: T) => boolean): Batch<T> {
    return this.narrow({ kind: 'filter', fn: predicate });
  }

  /** Replaces each record by the records `fn` returns for it. */
  flatMap<U>(fn: (value: T) => Iterable<U>): Batch<U> {
    return this.narrow({ kind: 'flatMap', fn });
  }

  /** Replaces each partition by what `fn` returns for its records. */
  mapPartitions<U>(fn: (records: readonly T[], partitionIndex: number) => Iterable<U>): Batch<U> {
    return this.narrow({ kind: 'mapPartitions', fn });
  }

  /** One record per partition: the array of that partition's records. */
  glom(): Batch<T[]> {
    return this.mapPartitions((records) => [records.slice()]);
  }

  /** The records of this batch and of `others`, their partitions side by side. */
  union(...others: Batch<T>[]): Batch<T> {
    const all = [this as Batch<T>, ...others];
    const count = all.reduce((sum, batch) => sum + batch.numPartitions, 0);
    return Batch.lazy(count, () => all.flatMap((batch) => batch.compute()));
  }

  /** The same records spread evenly over `numPartitions` partitions. */
  repartition(numPartitions: number): Batch<T> {
    return Batch.lazy(numPartitions, () => {
      const out: T[][] = Array.from({ length: numPartitions }, () => []);
      let next = 0;
      for (const partition of this.compute()) {
        for (let i = 0; i < partition.length; i++) {
          out[next].push(partition[i]);
          next = next + 1 === numPartitions ? 0 : next + 1;
        }
      }
      return out;
    });
  }

  /** All records combined with `fn`, or `undefined` for an empty batch. */
  reduce(fn: (left: T, right: T) => T): T | undefined {
    let result: T | undefined;
    let first = true;
    for (const partition of this.compute()) {
      for (let i = 0; i < partition.length; i++) {
        if (first) {
          result = partition[i];
          first = false;
        } else {
          result = fn(result as T, partition[i]);
        }
      }
    }
    return result;
  }

  /** How often each distinct record occurs, as `[record, count]` pairs. */
  countByValue(numPartitions = this.numPartitions): Batch<[T, number]> {
    return this.map((value): [T, number] => [value, 1]).reduceByKey(add, numPartitions);
  }

  /** Applies `fn` to the value of every pair, keeping the key. */
  mapValues<K, V, U>(this: Batch<readonly [K, V]>, fn: (value: V) => U): Batch<[K, U]> {
    return this.map((pair): [K, U] => [pair[0], fn(pair[1])]);
  }

  /** Replaces the value of every pair by each of the values `fn` returns, keeping the key. */
  flatMapValues<K, V, U>(
    this: Batch<readonly [K, V]>,
    fn: (value: V) => Iterable<U>,
  ): Batch<[K, U]> {
    return this.flatMap(function* (pair): Iterable<[K, U]> {
      for (const value of fn(pair[1])) yield [pair[0], value];
    });
  }

  /** The pairs, hash-partitioned by key into `numPartitions` partitions. */
  partitionBy<K, V>(this: Batch<readonly [K, V]>, numPartitions: number): Batch<[K, V]> {
    return Batch.lazy(numPartitions, () => {
      const out: [K, V][][] = Array.from({ length: numPartitions }, () => []);
      for (const partition of this.compute()) {
        for (let i = 0; i < partition.length; i++) {
          const pair = partition[i];
          out[partitionOf(pair[0], numPartitions)].push(pair as [K, V]);
        }
      }
      return out;
    });
  }

  /** Combines the values of each key with Spark's combineByKey functions. */
  combineByKey<K, V, C>(
    this: Batch<readonly [K, V]>,
    combiner: Combiner<V, C>,
    numPartitions: number = this.numPartitions,
  ): Batch<[K, C]> {
    return Batch.lazy(numPartitions, () => {
      const sink = new CombineByKeySink<K, V, C>(combiner);
      this.pushInto(sink);
      return sink.partitions(numPartitions);
    });
  }

  /** Combines the values of each key with an associative function. */
  reduceByKey<K, V>(
    this: Batch<readonly [K, V]>,
    fn: (left: V, right: V) => V,
    numPartitions: number = this.numPartitions,
  ): Batch<[K, V]> {
    return this.combineByKey<K, V, V>(
      { createCombiner: identity, mergeValue: fn, mergeCombiners: fn },
      numPartitions,
    );
  }

  /** The values of each key, in arrival order. */
  groupByKey<K, V>(
    this: Batch<readonly [K, V]>,
    numPartitions: number = this.numPartitions,
  ): Batch<[K, V[]]> {
    return this.combineByKey<K, V, V[]>(
      {
        createCombiner: (value) => [value],
        mergeValue: (values, value) => {
          values.push(value);
          return values;
        },
        mergeCombiners: (left, right) => left.concat(right),
      },
      numPartitions,
    );
  }

  /** For every key of either batch, its values in this batch and in `other`. */
  cogroup<K, V, W>(
    this: Batch<readonly [K, V]>,
    other: Batch<readonly [K, W]>,
    numPartitions: number = Math.max(this.numPartitions, other.numPartitions),
  ): Batch<[K, [V[], W[]]]> {
    return Batch.lazy(
      numPartitions,
      () =>
        cogroupPartitions<K>([this.compute(), other.compute()], numPartitions) as [
          K,
          [V[], W[]],
        ][][],
    );
  }

  /** Pairs of values with equal keys in both batches (inner join). */
  join<K, V, W>(
    this: Batch<readonly [K, V]>,
    other: Batch<readonly [K, W]>,
    numPartitions?: number,
  ): Batch<[K, [V, W]]> {
    return this.cogroup(other, numPartitions).flatMap(function* ([key, [left, right]]): Iterable<
      [K, [V, W]]
    > {
      for (const v of left) for (const w of right) yield [key, [v, w]];
    });
  }

  /** Every pair of this batch with the matching values of `other`, or `undefined` where none. */
  leftOuterJoin<K, V, W>(
    this: Batch<readonly [K, V]>,
    other: Batch<readonly [K, W]>,
    numPartitions?: number,
  ): Batch<[K, [V, W | undefined]]> {
    return this.cogroup(other, numPartitions).flatMap(function* ([key, [left, right]]): Iterable<
      [K, [V, W | undefined]]
    > {
      for (const v of left) {
        if (right.length === 0) yield [key, [v, undefined]];
        else for (const w of right) yield [key, [v, w]];
      }
    });
  }

  /** Every pair of `other` with the matching values of this batch, or `undefined` where none. */
  rightOuterJoin<K, V, W>(
    this: Batch<readonly [K, V]>,
    other: Batch<readonly [K, W]>,
    numPartitions?: number,
  ): Batch<[K, [V | undefined, W]]> {
    return this.cogroup(other, numPartitions).flatMap(function* ([key, [left, right]]): Iterable<
      [K, [V | undefined, W]]
    > {
      for (const w of right) {
        if (left.length === 0) yield [key, [undefined, w]];
        else for (const v of left) yield [key, [v, w]];
      }
    });
  }

  /** Every key of either batch with its matching values, `undefined` on the side that has none. */
  fullOuterJoin<K, V, W>(
    this: Batch<readonly [K, V]>,
    other: Batch<readonly [K, W]>,
    numPartitions?: number,
  ): Batch<[K, [V | undefined, W | undefined]]> {
    return this.cogroup(other, numPartitions).flatMap(function* ([key, [left, right]]): Iterable<
      [K, [V | undefined, W | undefined]]
    > {
      if (left.length === 0) for (const w of right) yield [key, [undefined, w]];
      else if (right.length === 0) for (const v of left) yield [key, [v, undefined]];
      else for (const v of left) for (const w of right) yield [key, [v, w]];
    });
  }

  private narrow<U>(operation: NarrowOperation): Batch<U> {
    if (this.materialized === undefined && this.source instanceof Batch) {
      return new Batch<U>(this.source, [...this.operations, operation], this.partitionCount);
    }
    return new Batch<U>(this, [operation], this.partitionCount);
  }

  /**
   * Pushes every record into `sink`, partition after partition. An unmaterialized batch runs
   * its fused narrow operations straight into the sink, so no intermediate array is built.
   */
  private pushInto(sink: RecordSink): void {
    if (
      this.materialized === undefined &&
      this.operations.length > 0 &&
      this.source instanceof Batch
    ) {
      const input = this.source.compute();
      for (let p = 0; p < input.length; p++)
        runNarrowPipelineInto(input[p], this.operations, p, sink);
      return;
    }
    for (const partition of this.compute()) {
      for (let i = 0; i < partition.length; i++) sink.push(partition[i]);
    }
  }

  private compute(): T[][] {
    if (this.materialized !== undefined) return this.materialized;
    const input = this.source instanceof Batch ? this.source.compute() : this.source();
    if (this.operations.length === 0) {
      this.materialized = input as T[][];
    } else {
      const operations = this.operations;
      this.materialized = input.map(
        (records, index) => runNarrowPipeline(records, operations, index) as T[],
      );
    }
    return this.materialized;
  }
}

function identity<V>(value: V): V {
  return value;
}

function add(left: number, right: number): number {
  return left + right;
}
