import { seconds, type DStream, type Duration, type StreamingContext } from '@dstream/core';
import { socketTextStream, type SocketTextStreamOptions } from '@dstream/socket';

/** Where the words come from and how the sliding window is shaped. */
export interface NetworkWordCountOptions {
  /** The host of the TCP server sending lines of text. */
  readonly host: string;
  /** Its port. */
  readonly port: number;
  /** Length of the sliding window (default 30 s); a multiple of the batch interval. */
  readonly windowDuration?: Duration;
  /** How often the window's counts are computed (default 10 s); a multiple of the batch interval. */
  readonly slideDuration?: Duration;
  /** Settings of the socket stream (reconnection, maximum line length, encoding). */
  readonly socket?: SocketTextStreamOptions;
}

/** The streams of the word count. */
export interface NetworkWordCount {
  /** The lines received. */
  readonly lines: DStream<string>;
  /** `[word, count]` for the words of each batch. */
  readonly wordCounts: DStream<[string, number]>;
  /** `[word, count]` over the last `windowDuration`, every `slideDuration`. */
  readonly windowedWordCounts: DStream<[string, number]>;
}

const WHITESPACE = /\s+/;

/** The words of a line: split on whitespace, empty strings dropped. */
export function splitWords(line: string): string[] {
  return line.split(WHITESPACE).filter((word) => word.length > 0);
}

function add(a: number, b: number): number {
  return a + b;
}

/**
 * Defines the word count on `ssc`, like Spark's NetworkWordCount: lines from a TCP server,
 * split into words, counted per batch and over a sliding window. The window uses the plain
 * (non-incremental) `reduceByKeyAndWindow`, so no checkpoint directory is needed. Attach output
 * operations to the returned streams, then start the context.
 */
export function buildNetworkWordCount(
  ssc: StreamingContext,
  options: NetworkWordCountOptions,
): NetworkWordCount {
  const lines = socketTextStream(ssc, options.host, options.port, options.socket);
  const pairs = lines.flatMap(splitWords).map((word): [string, number] => [word, 1]);
  const wordCounts = pairs.reduceByKey(add);
  const windowedWordCounts = pairs.reduceByKeyAndWindow(
    add,
    options.windowDuration ?? seconds(30),
    options.slideDuration ?? seconds(10),
  );
  return { lines, wordCounts, windowedWordCounts };
}

/** Counts as printable lines: most frequent first, then alphabetically, at most `limit`. */
export function formatCounts(counts: readonly (readonly [string, number])[], limit = 20): string[] {
  const sorted = [...counts].sort(
    (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
  );
  const shown = sorted.slice(0, limit).map(([word, count]) => `  ${word}: ${count}`);
  const hidden = sorted.length - limit;
  if (hidden > 0) shown.push(`  … and ${hidden} more ${hidden === 1 ? 'word' : 'words'}`);
  return shown;
}
