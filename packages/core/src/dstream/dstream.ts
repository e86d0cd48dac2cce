import { Batch } from '../batch/batch.js';
import type { Combiner } from '../batch/combine-by-key.js';
import { formatRecord, printBatch } from '../output/print-batch.js';
import { SinkOutput } from '../output/sink-output.js';
import { saveBatchAsFiles } from '../output/save-as-files.js';
import type { Sink } from '../sink/sink.js';
import type { StreamingContext } from '../streaming-context.js';
import { requirePartitioner, type Partitioner } from '../batch/partitioner.js';
import { formatDuration, isMultipleOf, type Duration } from '../util/duration.js';
import { ConfigurationError } from '../util/errors.js';
import { requireFunction, requirePositiveInteger } from '../util/validation.js';
import type { DStreamComputation } from './dstream-computation.js';
import { ForEachComputation, type BatchFunction } from './foreach-dstream.js';
import { IllegalArgumentError } from './illegal-argument-error.js';
import { createMapWithStateStream, type MapWithStateDStream } from './map-with-state-dstream.js';
import { ReducedWindowedComputation } from './reduced-windowed-dstream.js';
import type { StateSpec } from './state-spec.js';
import {
  StateComputation,
  type PartitionStateUpdateFunction,
  type StateUpdateFunction,
  type StateUpdater,
} from './state-dstream.js';
import { TransformedComputation } from './transformed-dstream.js';
import { UnionComputation } from './union-dstream.js';
import { WindowedComputation } from './windowed-dstream.js';

/** Settings of {@link DStream.updateStateByKey}. */
export interface UpdateStateByKeyOptions<K, S> {
  /** Partitions of the state when no partitioner is given (default: the context's parallelism). */
  readonly numPartitions?: number;
  /** Where each key's state lives (default: keys hashed into `numPartitions`). */
  readonly partitioner?: Partitioner<K>;
  /**
   * Whether the state keeps the partitioning the update left it in from batch to batch
   * (default `true`); with `false`, every key is placed by the partitioner again each batch.
   */
  readonly rememberPartitioner?: boolean;
  /** The state of keys before the first batch. */
  readonly initialState?: Iterable<readonly [K, S]> | Batch<readonly [K, S]>;
}

/**
 * A discretized stream: the sequence of {@link Batch}es of one kind of record, one per slide
 * interval, with Spark Streaming's operations. Transformations return new streams and may only
 * be defined before the context starts; output operations (`print`, `foreachBatch`,
 * `saveAsTextFiles`, `to`) make the graph run.
 *
 * Key-value operations (`reduceByKey`, `join`, `updateStateByKey`, …) exist only on streams of
 * `[key, value]` pairs; keys are compared by value.
 */
export class DStream<T> {
  /** Unique within the context, in definition order. */
  readonly id: number;
  /** The interval between two batches of this stream. */
  readonly slideDuration: Duration;

  private readonly generated = new Map<number, Promise<Batch<T> | undefined>>();
  private zeroTimeValue: number | undefined;
  private rememberDurationValue: Duration | undefined;
  private checkpointIntervalValue: Duration | undefined;
  private persisted = false;

  constructor(
    /** The context this stream belongs to. */
    readonly context: StreamingContext,
    /** What this stream computes, and from which parents. */
    readonly computation: DStreamComputation<T>,
  ) {
    context.assertCanDefineOperations();
    this.slideDuration = computation.slideDuration;
    this.id = context.graph.register(this);
  }

  /** The streams this one reads. */
  get dependencies(): readonly DStream<unknown>[] {
    return this.computation.parents;
  }

  /** The time before the first batch, set when the context starts. */
  get zeroTime(): number | undefined {
    return this.zeroTimeValue;
  }

  /** How long computed batches are kept, set when the context starts. */
  get rememberDuration(): Duration | undefined {
    return this.rememberDurationValue;
  }

  /** The interval at which this stream's data is checkpointed, if set. */
  get checkpointInterval(): Duration | undefined {
    return this.checkpointIntervalValue;
  }

  // ---------------------------------------------------------------- engine

  /** Whether `time` is one of this stream's batch times. */
  isTimeValid(time: number): boolean {
    const zero = this.zeroTimeValue;
    if (zero === undefined) return false;
    return time > zero && (time - zero) % this.slideDuration === 0;
  }

  /**
   * The batch for `time`, computed on first request and kept for the remember duration;
   * `undefined` when `time` is not a batch time of this stream or the stream has no batch then.
   */
  getOrCompute(time: number): Promise<Batch<T> | undefined> {
    let result = this.generated.get(time);
    if (result === undefined) {
      if (!this.isTimeValid(time)) return Promise.resolve(undefined);
      result = this.computeBatch(time);
      this.generated.set(time, result);
    }
    return result;
  }

  private async computeBatch(time: number): Promise<Batch<T> | undefined> {
    const batch = await this.computation.compute(time, this);
    if (batch !== undefined && this.persisted) void batch.partitions;
    return batch;
  }

  /** The batches of this stream for every batch time in `[fromTime, toTime]`, in time order. */
  async slice(fromTime: number, toTime: number): Promise<Batch<T>[]> {
    const zero = this.zeroTimeValue;
    if (zero === undefined) {
      throw new IllegalArgumentError(
        `Stream ${this.describe()} has not been initialized: slice() works once its context has started`,
      );
    }
    if (!isMultipleOf(fromTime - zero, this.slideDuration) && fromTime > zero) {
      throw new IllegalArgumentError(
        `slice: from time ${fromTime} is not a multiple of the slide duration ${formatDuration(this.slideDuration)} after the zero time ${zero}`,
      );
    }
    if (!isMultipleOf(toTime - zero, this.slideDuration)) {
      throw new IllegalArgumentError(
        `slice: to time ${toTime} is not a multiple of the slide duration ${formatDuration(this.slideDuration)} after the zero time ${zero}`,
      );
    }
    const first = Math.max(fromTime, zero + this.slideDuration);
    const batches: Batch<T>[] = [];
    for (let time = first; time <= toTime; time += this.slideDuration) {
      const batch = await this.getOrCompute(time);
      if (batch !== undefined) batches.push(batch);
    }
    return batches;
  }

  /** Sets the zero time of this stream and its parents; called by the graph at start. */
  initialize(zeroTime: number): void {
    if (this.zeroTimeValue !== undefined && this.zeroTimeValue !== zeroTime) {
      throw new IllegalArgumentError(
        `Stream ${this.describe()} is already initialized with another zero time`,
      );
    }
    this.zeroTimeValue = zeroTime;
    for (const parent of this.dependencies) parent.initialize(zeroTime);
  }

  /** Keeps batches for at least `duration`, and makes parents keep what this stream needs. */
  remember(duration: Duration): void {
    if (this.rememberDurationValue === undefined || duration > this.rememberDurationValue) {
      this.rememberDurationValue = duration;
    }
    const needed =
      Math.max(this.rememberDurationValue, this.slideDuration) +
      (this.computation.parentRememberExtra ?? 0);
    for (const parent of this.dependencies) parent.remember(needed);
  }

  /** Forgets batches older than the remember duration; called after each batch completes. */
  clearMetadata(time: number): void {
    const keep = Math.max(this.rememberDurationValue ?? this.slideDuration, this.slideDuration);
    for (const batchTime of this.generated.keys()) {
      if (batchTime <= time - keep) this.generated.delete(batchTime);
    }
  }

  /** Checks the stream's configuration against its context; called at start. */
  validateAtStart(): void {
    if (this.computation.requiresCheckpoint && this.context.checkpointDirectory === undefined) {
      throw new IllegalArgumentError(
        `The checkpoint directory has not been set, but stream ${this.describe()} keeps state across batches. Set it with StreamingContext.checkpoint(directory) or the checkpointDir option.`,
      );
    }
    if (
      this.checkpointIntervalValue !== undefined &&
      !isMultipleOf(this.checkpointIntervalValue, this.slideDuration)
    ) {
      throw new IllegalArgumentError(
        `The checkpoint interval of stream ${this.describe()} (${formatDuration(this.checkpointIntervalValue)}) must be a multiple of its slide duration (${formatDuration(this.slideDuration)})`,
      );
    }
    this.computation.validate?.(this);
  }

  /** A short description: kind, id and slide, as errors and the UI show it. */
  describe(): string {
    return `${this.computation.kind}#${this.id} (slide ${formatDuration(this.slideDuration)})`;
  }

  /** A new stream computed from this one by `computation`. */
  derive<U>(computation: DStreamComputation<U>): DStream<U> {
    return new DStream<U>(this.context, computation);
  }

  private transformed<U>(
    kind: string,
    transform: (batch: Batch<T>, time: number) => Batch<U>,
    shape?: Readonly<Record<string, unknown>>,
    strict = false,
  ): DStream<U> {
    return this.derive(
      new TransformedComputation<U>(
        kind,
        [this],
        (batches, time) => transform(batches[0] as Batch<T>, time),
        shape,
        strict,
      ),
    );
  }

  // ---------------------------------------------------------------- narrow transformations

  /** Applies `fn` to every record. */
  map<U>(fn: (value: T) => U): DStream<U> {
    return this.transformed('map', (batch) => batch.map(fn));
  }

  /** Replaces each record by the records `fn` returns for it. */
  flatMap<U>(fn: (value: T) => Iterable<U>): DStream<U> {
    return this.transformed('flatMap', (batch) => batch.flatMap(fn));
  }

  /** Keeps the records for which `predicate` holds; a type guard narrows the record type. */
  filter<S extends T>(predicate: (value: T) => value is S): DStream<S>;
  filter(predicate: (value: T) => boolean): DStream<T>;
  filter(predicate: (value: T) => boolean): DStream<T> {
    return this.transformed('filter', (batch) => batch.filter(predicate));
  }

  /** One record per partition: the array of that partition's records. */
  glom(): DStream<T[]> {
    return this.transformed('glom', (batch) => batch.glom());
  }

  /** Replaces each partition of each batch by what `fn` returns for its records. */
  mapPartitions<U>(fn: (records: readonly T[], partitionIndex: number) => Iterable<U>): DStream<U> {
    return this.transformed('mapPartitions', (batch) => batch.mapPartitions(fn));
  }

  /** The same records spread evenly over `numPartitions` partitions. */
  repartition(numPartitions: number): DStream<T> {
    requirePositiveInteger('numPartitions', numPartitions);
    return this.transformed(
      'repartition',
      (batch) => batch.repartition(numPartitions),
      { numPartitions },
      true,
    );
  }

  /**
   * The records of this stream and of `others`, batch by batch; all must share the slide. A
   * parent without a batch for a time fails that batch (`PARENT_BATCH_MISSING`), as in Spark.
   */
  union(...others: DStream<T>[]): DStream<T> {
    return this.derive(new UnionComputation<T>([this, ...others]));
  }

  /** One record per batch: the number of records in it (0 for an empty batch). */
  count(): DStream<number> {
    return this.transformed('count', (batch) => Batch.of([batch.count()]), undefined, true);
  }

  /** One record per non-empty batch: all records combined with `fn`. */
  reduce(fn: (left: T, right: T) => T): DStream<T> {
    return this.transformed('reduce', (batch) => {
      if (batch.isEmpty()) return Batch.empty<T>();
      return Batch.of([batch.reduce(fn) as T]);
    });
  }

  /** How often each distinct record occurs in each batch, as `[record, count]` pairs. */
  countByValue(numPartitions?: number): DStream<[T, number]> {
    const partitions = this.partitionCount(numPartitions);
    return this.transformed('countByValue', (batch) => batch.countByValue(partitions), {
      numPartitions: partitions,
    });
  }

  /**
   * Applies an arbitrary batch-to-batch function to every batch (Spark's transform). The
   * function must return a {@link Batch} (`Batch.empty()` for no records); anything else fails
   * the batch with a `TRANSFORM_RESULT_INVALID` error naming the stream. When this stream has
   * no batch for a time, the batch fails (`PARENT_BATCH_MISSING`), as in Spark.
   */
  transform<U>(fn: (batch: Batch<T>, time: number) => Batch<U>): DStream<U> {
    requireFunction('transform function', fn);
    return this.transformed('transform', fn, undefined, true);
  }

  /**
   * Combines the batches of this stream and `other` of the same time with `fn` (Spark's
   * transformWith); both must have the same slide. As with {@link transform}, `fn` must return
   * a {@link Batch}, and a parent without a batch for a time fails that batch.
   */
  transformWith<U, R>(
    other: DStream<U>,
    fn: (batch: Batch<T>, other: Batch<U>, time: number) => Batch<R>,
  ): DStream<R> {
    requireFunction('transformWith function', fn);
    return this.combinedWith('transformWith', other, fn);
  }

  // ---------------------------------------------------------------- windows

  /**
   * Every batch holds the records of the last `windowDuration` of this stream, computed every
   * `slideDuration` (default: this stream's slide). Both must be multiples of this stream's slide.
   */
  window(windowDuration: Duration, slideDuration: Duration = this.slideDuration): DStream<T> {
    return this.derive(new WindowedComputation<T>(this, windowDuration, slideDuration));
  }

  /**
   * All records of each window combined with `fn`. With `inverse` (which undoes `fn`), each
   * window is computed from the previous one incrementally; this needs checkpointing.
   */
  reduceByWindow(
    fn: (left: T, right: T) => T,
    windowDuration: Duration,
    slideDuration?: Duration,
  ): DStream<T>;
  reduceByWindow(
    fn: (left: T, right: T) => T,
    inverse: (left: T, right: T) => T,
    windowDuration: Duration,
    slideDuration?: Duration,
  ): DStream<T>;
  reduceByWindow(
    fn: (left: T, right: T) => T,
    inverseOrWindow: ((left: T, right: T) => T) | Duration,
    windowOrSlide?: Duration,
    slide?: Duration,
  ): DStream<T> {
    if (typeof inverseOrWindow === 'function') {
      return this.map((value): [number, T] => [1, value])
        .reduceByKeyAndWindow(
          fn,
          inverseOrWindow,
          windowOrSlide as Duration,
          slide ?? this.slideDuration,
          1,
        )
        .map((pair) => pair[1]);
    }
    return this.reduce(fn)
      .window(inverseOrWindow, windowOrSlide ?? this.slideDuration)
      .reduce(fn);
  }

  /** The number of records in each window (incremental: needs checkpointing, as in Spark). */
  countByWindow(
    windowDuration: Duration,
    slideDuration: Duration = this.slideDuration,
  ): DStream<number> {
    return this.map(() => 1).reduceByWindow(add, subtract, windowDuration, slideDuration);
  }

  /**
   * How often each distinct record occurs in each window (incremental: needs checkpointing, as
   * in Spark). Records whose count drops to zero leave the window's output.
   */
  countByValueAndWindow(
    windowDuration: Duration,
    slideDuration: Duration = this.slideDuration,
    numPartitions?: number,
  ): DStream<[T, number]> {
    return this.map((value): [T, number] => [value, 1]).reduceByKeyAndWindow(
      add,
      subtract,
      windowDuration,
      slideDuration,
      numPartitions,
      (pair) => pair[1] !== 0,
    );
  }

  // ---------------------------------------------------------------- key-value transformations

  /** Applies `fn` to the value of every pair, keeping the key. */
  mapValues<K, V, U>(this: DStream<readonly [K, V]>, fn: (value: V) => U): DStream<[K, U]> {
    return this.transformed('mapValues', (batch) => batch.mapValues(fn));
  }

  /** Replaces the value of every pair by each value `fn` returns, keeping the key. */
  flatMapValues<K, V, U>(
    this: DStream<readonly [K, V]>,
    fn: (value: V) => Iterable<U>,
  ): DStream<[K, U]> {
    return this.transformed('flatMapValues', (batch) => batch.flatMapValues(fn));
  }

  /** Combines the values of each key in each batch with an associative function. */
  reduceByKey<K, V>(
    this: DStream<readonly [K, V]>,
    fn: (left: V, right: V) => V,
    numPartitions?: number,
  ): DStream<[K, V]> {
    const partitions = this.partitionCount(numPartitions);
    return this.transformed('reduceByKey', (batch) => batch.reduceByKey(fn, partitions), {
      numPartitions: partitions,
    });
  }

  /** The values of each key in each batch. */
  groupByKey<K, V>(this: DStream<readonly [K, V]>, numPartitions?: number): DStream<[K, V[]]> {
    const partitions = this.partitionCount(numPartitions);
    return this.transformed('groupByKey', (batch) => batch.groupByKey(partitions), {
      numPartitions: partitions,
    });
  }

  /** Combines the values of each key in each batch with Spark's combineByKey functions. */
  combineByKey<K, V, C>(
    this: DStream<readonly [K, V]>,
    combiner: Combiner<V, C>,
    numPartitions?: number,
  ): DStream<[K, C]> {
    const partitions = this.partitionCount(numPartitions);
    return this.transformed('combineByKey', (batch) => batch.combineByKey(combiner, partitions), {
      numPartitions: partitions,
    });
  }

  /** For every key of either stream in a batch, its values in this stream and in `other`. */
  cogroup<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V[], W[]]]> {
    return this.keyedWith('cogroup', other, numPartitions, (left, right, n) =>
      left.cogroup(right, n),
    );
  }

  /** Inner join of the batches of the same time. */
  join<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V, W]]> {
    return this.keyedWith('join', other, numPartitions, (left, right, n) => left.join(right, n));
  }

  /** Left outer join of the batches of the same time. */
  leftOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V, W | undefined]]> {
    return this.keyedWith('leftOuterJoin', other, numPartitions, (left, right, n) =>
      left.leftOuterJoin(right, n),
    );
  }

  /** Right outer join of the batches of the same time. */
  rightOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V | undefined, W]]> {
    return this.keyedWith('rightOuterJoin', other, numPartitions, (left, right, n) =>
      left.rightOuterJoin(right, n),
    );
  }

  /** Full outer join of the batches of the same time. */
  fullOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V | undefined, W | undefined]]> {
    return this.keyedWith('fullOuterJoin', other, numPartitions, (left, right, n) =>
      left.fullOuterJoin(right, n),
    );
  }

  /** The values of each key over each window. */
  groupByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    windowDuration: Duration,
    slideDuration: Duration = this.slideDuration,
    numPartitions?: number,
  ): DStream<[K, V[]]> {
    return this.window(windowDuration, slideDuration).groupByKey(numPartitions);
  }

  /**
   * The values of each key over each window, combined with `fn`. With `inverse` (which undoes
   * `fn`), each window is computed incrementally from the previous one: add the batches that
   * entered, `inverse` the ones that left; `filter` then drops entries (such as zero counts).
   * The incremental form needs checkpointing.
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    fn: (left: V, right: V) => V,
    windowDuration: Duration,
    slideDuration?: Duration,
    numPartitions?: number,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    fn: (left: V, right: V) => V,
    inverse: (left: V, right: V) => V,
    windowDuration: Duration,
    slideDuration?: Duration,
    numPartitions?: number,
    filter?: (pair: [K, V]) => boolean,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    fn: (left: V, right: V) => V,
    second: ((left: V, right: V) => V) | Duration,
    third?: Duration,
    fourth?: number,
    fifth?: number,
    filter?: (pair: [K, V]) => boolean,
  ): DStream<[K, V]> {
    if (typeof second !== 'function') {
      const slide = third ?? this.slideDuration;
      return this.window(second, slide).reduceByKey(fn, fourth);
    }
    const windowDuration = third as Duration;
    const slideDuration = fourth ?? this.slideDuration;
    const partitions = this.partitionCount(fifth);
    const reduced = this.reduceByKey(fn, partitions);
    return reduced.derive(
      new ReducedWindowedComputation<K, V>(
        reduced,
        fn,
        second,
        windowDuration,
        slideDuration,
        partitions,
        filter,
      ),
    );
  }

  /**
   * Keeps a state per key across batches (Spark's updateStateByKey). Every batch, `update` gets
   * a key's new values (maybe none), its previous state (`undefined` for a new key), the key and
   * the batch time, and returns the new state, or `undefined` to remove the key. The stream
   * holds every key's state after each batch, partitioned by `partitioner` (default: keys
   * hashed into `numPartitions`, itself defaulting to the context's parallelism).
   *
   * With `perPartition: true`, `update` instead gets a whole partition at once (Spark's iterator
   * form): every key of the partition with its new values and previous state, the batch time
   * and the partition index, and returns the partition's new `[key, state]` pairs; keys left
   * out are removed. `rememberPartitioner` (default `true`) keeps the pairs where the update
   * left them from batch to batch; with `false`, every key is placed by the partitioner again.
   */
  updateStateByKey<K, V, S>(
    this: DStream<readonly [K, V]>,
    update: StateUpdateFunction<K, V, S>,
    options?: UpdateStateByKeyOptions<K, S> & { readonly perPartition?: false },
  ): DStream<[K, S]>;
  updateStateByKey<K, V, S>(
    this: DStream<readonly [K, V]>,
    update: PartitionStateUpdateFunction<K, V, S>,
    options: UpdateStateByKeyOptions<K, S> & { readonly perPartition: true },
  ): DStream<[K, S]>;
  updateStateByKey<K, V, S>(
    this: DStream<readonly [K, V]>,
    update: StateUpdateFunction<K, V, S> | PartitionStateUpdateFunction<K, V, S>,
    options: UpdateStateByKeyOptions<K, S> & { readonly perPartition?: boolean } = {},
  ): DStream<[K, S]> {
    const partitioner =
      options.partitioner === undefined
        ? undefined
        : requirePartitioner('partitioner', options.partitioner);
    if (
      partitioner !== undefined &&
      options.numPartitions !== undefined &&
      options.numPartitions !== partitioner.numPartitions
    ) {
      throw new ConfigurationError(
        'numPartitions',
        options.numPartitions,
        `expected the partitioner's numPartitions (${partitioner.numPartitions}) or none`,
      );
    }
    const rememberPartitioner = options.rememberPartitioner ?? true;
    if (typeof rememberPartitioner !== 'boolean') {
      throw new ConfigurationError(
        'rememberPartitioner',
        rememberPartitioner,
        'expected true or false',
      );
    }
    const partitions = partitioner?.numPartitions ?? this.partitionCount(options.numPartitions);
    const updater: StateUpdater<K, V, S> =
      options.perPartition === true
        ? { perPartition: true, fn: update as PartitionStateUpdateFunction<K, V, S> }
        : { perPartition: false, fn: update as StateUpdateFunction<K, V, S> };
    return this.derive(
      new StateComputation<K, V, S>(
        this,
        updater,
        partitioner,
        partitions,
        options.initialState,
        rememberPartitioner,
      ),
    );
  }

  /**
   * Keeps a state per key and maps each record with it, as described by `spec` (Spark's
   * mapWithState): the mapping function sees the key, the value, the key's {@link State} and
   * the batch time; keys idle longer than the spec's timeout are called once more with
   * `state.isTimingOut()` true, then removed. `stateSnapshots()` gives every key's state.
   */
  mapWithState<K, V, S, M>(
    this: DStream<readonly [K, V]>,
    spec: StateSpec<K, V, S, M>,
  ): MapWithStateDStream<K, S, M> {
    return createMapWithStateStream(this, spec, this.context.defaultParallelism);
  }

  // ---------------------------------------------------------------- persistence

  /** Materializes each batch once when computed, so several consumers do not recompute it. */
  persist(): this {
    this.persisted = true;
    return this;
  }

  /** Same as {@link persist}. */
  cache(): this {
    return this.persist();
  }

  /** Checkpoints this stream's data every `interval` (a multiple of its slide duration). */
  checkpoint(interval: Duration): this {
    this.context.assertCanDefineOperations();
    this.checkpointIntervalValue = interval;
    this.persist();
    return this;
  }

  // ---------------------------------------------------------------- output operations

  /** Runs `fn` on every batch (Spark's foreachRDD). Output operations run in definition order. */
  foreachBatch(fn: BatchFunction<T>, name = 'foreachBatch'): void {
    this.derive(new ForEachComputation<T>(this, fn, name));
  }

  /** Prints the first `count` records of every batch, under a header with the batch time. */
  print(count = 10): void {
    requirePositiveInteger('print count', count);
    this.foreachBatch((batch, time) => printBatch(batch, time, count), `print(${count})`);
  }

  /**
   * Writes every batch as text, one record per line (as `print()` renders it), into a directory `prefix-<timeMs>` (or
   * `prefix-<timeMs>.suffix`) of `part-NNNNN` files. Writing a batch time again replaces it.
   */
  saveAsTextFiles(prefix: string, suffix?: string): void {
    this.foreachBatch(
      (batch, time) => saveBatchAsFiles(batch, time, prefix, suffix, formatRecord),
      'saveAsTextFiles',
    );
  }

  /** Like {@link saveAsTextFiles}, with every record written as one line of JSON. */
  saveAsObjectFiles(prefix: string, suffix?: string): void {
    this.foreachBatch(
      (batch, time) =>
        saveBatchAsFiles(batch, time, prefix, suffix, (record) => JSON.stringify(record)),
      'saveAsObjectFiles',
    );
  }

  /** Writes every batch to `sink`, partition by partition, with its batch hooks around. */
  to(sink: Sink<T>): void {
    const output = new SinkOutput<T>(sink, this.context);
    this.foreachBatch(output.writeBatch, `to(${sink.name ?? 'sink'})`);
  }

  // ---------------------------------------------------------------- helpers

  private partitionCount(numPartitions: number | undefined): number {
    return numPartitions === undefined
      ? this.context.defaultParallelism
      : requirePositiveInteger('numPartitions', numPartitions);
  }

  private keyedWith<K, V, W, R>(
    this: DStream<readonly [K, V]>,
    kind: string,
    other: DStream<readonly [K, W]>,
    numPartitions: number | undefined,
    combine: (
      left: Batch<readonly [K, V]>,
      right: Batch<readonly [K, W]>,
      partitions: number,
    ) => Batch<R>,
  ): DStream<R> {
    const partitions = this.partitionCount(numPartitions);
    return this.combinedWith(kind, other, (left, right) => combine(left, right, partitions), {
      numPartitions: partitions,
    });
  }

  private combinedWith<U, R>(
    kind: string,
    other: DStream<U>,
    fn: (batch: Batch<T>, other: Batch<U>, time: number) => Batch<R>,
    shape?: Readonly<Record<string, unknown>>,
  ): DStream<R> {
    if (other.slideDuration !== this.slideDuration) {
      throw new IllegalArgumentError(
        `${kind}: both streams must have the same slide duration; got ${formatDuration(this.slideDuration)} and ${formatDuration(other.slideDuration)}`,
      );
    }
    return this.derive(
      new TransformedComputation<R>(
        kind,
        [this, other],
        (batches, time) => fn(batches[0] as Batch<T>, batches[1] as Batch<U>, time),
        shape,
        true,
      ),
    );
  }
}

function add(left: number, right: number): number {
  return left + right;
}

function subtract(left: number, right: number): number {
  return left - right;
}
