import type { DStream } from '@dstream/core';

/** Words of each batch of lines with their counts, most frequent first within a partition. */
export function wordCounts(lines: DStream<string>): DStream<[string, number]> {
  return lines
    .flatMap((line) => line.split(' '))
    .filter((word) => word.length > 0)
    .map((word): [string, number] => [word, 1])
    .reduceByKey((a, b) => a + b);
}
