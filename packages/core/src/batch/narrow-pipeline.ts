/**
 * Narrow transformations (map, filter, flatMap, mapPartitions) fused into one pass over a
 * partition. A chain of stage objects is built once per partition; records flow through it by
 * plain method calls, with no promise or closure allocated per record.
 */
export type NarrowOperation =
  | { readonly kind: 'map'; readonly fn: (value: any) => unknown }
  | { readonly kind: 'filter'; readonly fn: (value: any) => boolean }
  | { readonly kind: 'flatMap'; readonly fn: (value: any) => Iterable<unknown> }
  | {
      readonly kind: 'mapPartitions';
      readonly fn: (records: readonly any[], partitionIndex: number) => Iterable<unknown>;
    };

/** A receiver of records at the end of a pipeline: a collector, a combiner, an output. */
export interface RecordSink {
  push(value: unknown): void;
}

type Stage = RecordSink;

class CollectStage implements Stage {
  readonly output: unknown[] = [];
  push(value: unknown): void {
    this.output.push(value);
  }
}

class MapStage implements Stage {
  constructor(
    private readonly fn: (value: unknown) => unknown,
    private readonly next: Stage,
  ) {}
  push(value: unknown): void {
    this.next.push(this.fn(value));
  }
}

class FilterStage implements Stage {
  constructor(
    private readonly fn: (value: unknown) => boolean,
    private readonly next: Stage,
  ) {}
  push(value: unknown): void {
    if (this.fn(value)) this.next.push(value);
  }
}

class FlatMapStage implements Stage {
  constructor(
    private readonly fn: (value: unknown) => Iterable<unknown>,
    private readonly next: Stage,
  ) {}
  push(value: unknown): void {
    const produced = this.fn(value);
    if (Array.isArray(produced)) {
      for (let i = 0; i < produced.length; i++) this.next.push(produced[i]);
    } else {
      for (const item of produced) this.next.push(item);
    }
  }
}

function buildChain(
  operations: readonly NarrowOperation[],
  from: number,
  to: number,
  sink: Stage,
): Stage {
  let stage = sink;
  for (let i = to - 1; i >= from; i--) {
    const operation = operations[i];
    switch (operation.kind) {
      case 'map':
        stage = new MapStage(operation.fn, stage);
        break;
      case 'filter':
        stage = new FilterStage(operation.fn, stage);
        break;
      case 'flatMap':
        stage = new FlatMapStage(operation.fn, stage);
        break;
      default:
        throw new Error(`Unexpected ${operation.kind} inside an element-wise segment`);
    }
  }
  return stage;
}

/** Runs `operations` over the records of one partition and returns the records produced. */
export function runNarrowPipeline(
  records: readonly unknown[],
  operations: readonly NarrowOperation[],
  partitionIndex: number,
): unknown[] {
  const collector = new CollectStage();
  runNarrowPipelineInto(records, operations, partitionIndex, collector);
  return collector.output;
}

/**
 * Runs `operations` over the records of one partition and pushes every record produced into
 * `sink`, without materializing the result: a wide transformation consumes its parent's fused
 * narrow operations this way, in the same pass.
 */
export function runNarrowPipelineInto(
  records: readonly unknown[],
  operations: readonly NarrowOperation[],
  partitionIndex: number,
  sink: RecordSink,
): void {
  let current: readonly unknown[] = records;
  let start = 0;
  for (;;) {
    if (start < operations.length && operations[start].kind === 'mapPartitions') {
      const produced = (
        operations[start] as Extract<NarrowOperation, { kind: 'mapPartitions' }>
      ).fn(current, partitionIndex);
      current = Array.isArray(produced) ? produced : Array.from(produced);
      start++;
      continue;
    }
    let end = start;
    while (end < operations.length && operations[end].kind !== 'mapPartitions') end++;
    const last = end === operations.length;
    const collector = last ? undefined : new CollectStage();
    const head = buildChain(operations, start, end, collector ?? sink);
    for (let i = 0; i < current.length; i++) head.push(current[i]);
    if (collector === undefined) return;
    current = collector.output;
    start = end;
  }
}
