/** How output records compare with input records, counting each record by value. */
export interface Comparison {
  /** Input records missing from the output (counted with multiplicity). */
  readonly lost: number;
  /** Output records beyond what the input holds (counted with multiplicity). */
  readonly duplicated: number;
  /** Output records the input never held. */
  readonly unexpected: number;
  /** A few examples of each problem, for the report. */
  readonly examples: {
    readonly lost: string[];
    readonly duplicated: string[];
    readonly unexpected: string[];
  };
}

/** Compares two lists of records as multisets. */
export function compareRecords(input: readonly string[], output: readonly string[]): Comparison {
  const expected = countAll(input);
  const actual = countAll(output);
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  const examples = { lost: [] as string[], duplicated: [] as string[], unexpected: [] as string[] };
  for (const [record, count] of expected) {
    const seen = actual.get(record) ?? 0;
    if (seen < count) {
      lost += count - seen;
      if (examples.lost.length < 5) examples.lost.push(record);
    } else if (seen > count) {
      duplicated += seen - count;
      if (examples.duplicated.length < 5) examples.duplicated.push(record);
    }
  }
  for (const [record, count] of actual) {
    if (!expected.has(record)) {
      unexpected += count;
      if (examples.unexpected.length < 5) examples.unexpected.push(record);
    }
  }
  return { lost, duplicated, unexpected, examples };
}

function countAll(records: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record, (counts.get(record) ?? 0) + 1);
  return counts;
}
