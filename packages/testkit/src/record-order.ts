/**
 * Compares two records for a stable, total order: `undefined` < `null` < booleans < numbers <
 * bigints < strings < arrays < objects; numbers numerically, strings by code unit, arrays
 * element by element, objects by their keys in sorted order. Use it to compare batches whose
 * order the engine does not specify (the records of a wide transformation, of several blocks).
 */
export function compareRecords(left: unknown, right: unknown): number {
  if (left === right) return 0;
  const leftRank = rankOf(left);
  const rightRank = rankOf(right);
  if (leftRank !== rightRank) return leftRank - rightRank;
  switch (leftRank) {
    case Rank.Boolean:
      return (left as boolean) ? 1 : -1;
    case Rank.Number:
      return compareNumbers(left as number, right as number);
    case Rank.BigInt:
      return (left as bigint) < (right as bigint) ? -1 : 1;
    case Rank.String:
      return (left as string) < (right as string)
        ? -1
        : (left as string) > (right as string)
          ? 1
          : 0;
    case Rank.Array:
      return compareArrays(left as readonly unknown[], right as readonly unknown[]);
    case Rank.Object:
      return compareObjects(left as object, right as object);
    default:
      return 0;
  }
}

/** A sorted copy of `records`, in the order of {@link compareRecords}. */
export function sortRecords<T>(records: readonly T[]): T[] {
  // Boxed, because Array.prototype.sort moves `undefined` to the end without comparing it.
  return records
    .map((record) => ({ record }))
    .sort((left, right) => compareRecords(left.record, right.record))
    .map((box) => box.record);
}

enum Rank {
  Undefined,
  Null,
  Boolean,
  Number,
  BigInt,
  String,
  Array,
  Object,
}

function rankOf(value: unknown): Rank {
  if (value === undefined) return Rank.Undefined;
  if (value === null) return Rank.Null;
  switch (typeof value) {
    case 'boolean':
      return Rank.Boolean;
    case 'number':
      return Rank.Number;
    case 'bigint':
      return Rank.BigInt;
    case 'string':
      return Rank.String;
    default:
      return Array.isArray(value) ? Rank.Array : Rank.Object;
  }
}

function compareNumbers(left: number, right: number): number {
  if (Number.isNaN(left)) return Number.isNaN(right) ? 0 : 1;
  if (Number.isNaN(right)) return -1;
  return left < right ? -1 : left > right ? 1 : 0;
}

function compareArrays(left: readonly unknown[], right: readonly unknown[]): number {
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const order = compareRecords(left[i], right[i]);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

function compareObjects(left: object, right: object): number {
  if (left instanceof Date && right instanceof Date)
    return compareNumbers(left.getTime(), right.getTime());
  if (ArrayBuffer.isView(left) && ArrayBuffer.isView(right)) {
    return Buffer.compare(
      Buffer.from(left.buffer, left.byteOffset, left.byteLength),
      Buffer.from(right.buffer, right.byteOffset, right.byteLength),
    );
  }
  if (left instanceof Map && right instanceof Map) {
    return compareArrays(sortRecords([...left.entries()]), sortRecords([...right.entries()]));
  }
  if (left instanceof Set && right instanceof Set) {
    return compareArrays(sortRecords([...left.values()]), sortRecords([...right.values()]));
  }
  const leftKeys = Object.keys(left).sort();
  const rightKeys = Object.keys(right).sort();
  const keyOrder = compareArrays(leftKeys, rightKeys);
  if (keyOrder !== 0) return keyOrder;
  for (const key of leftKeys) {
    const order = compareRecords(
      (left as Record<string, unknown>)[key],
      (right as Record<string, unknown>)[key],
    );
    if (order !== 0) return order;
  }
  return 0;
}
