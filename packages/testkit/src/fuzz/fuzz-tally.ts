import type { DeadLetterRecord, Sink } from '@dstream/core';
import { FUZZ_ID_FIELD, type FuzzPayloadSet } from './fuzz-payloads.js';
import type { RssMonitor } from './rss-monitor.js';

/** What a fuzz run sent and what came out, per connector. */
export interface FuzzReport {
  /** The connector (and mode) under test, e.g. `'kafka'` or `'socket-text'`. */
  readonly connector: string;
  readonly seed: number;
  /** Payloads sent. */
  readonly sent: number;
  /** Good payloads sent. */
  readonly good: number;
  /** Bad payloads sent. */
  readonly bad: number;
  /** Good records delivered at least once. */
  readonly goodDelivered: number;
  /** Deliveries beyond the first of a good record. */
  readonly duplicates: number;
  /** Good records never delivered. */
  readonly lost: number;
  /** Delivered records that are no good payload (a bad one decoded as good, or garbage). */
  readonly unexpected: number;
  /** Bad payloads counted: dead-lettered, each matched to one payload sent. */
  readonly badCounted: number;
  /** Dead letters that match no bad payload sent, or one already counted. */
  readonly badUnmatched: number;
  /** Peak resident set size during the run, in MiB. */
  readonly peakRssMiB: number;
  /** Peak resident set size above the size when the run started, in MiB. */
  readonly rssGrowthMiB: number;
}

const MIB = 1024 * 1024;

/**
 * Checks what a connector delivered against the payloads of a fuzz run: each good record must
 * arrive exactly once ({@link delivered}), each bad payload must be counted once through the
 * stream's dead-letter sink ({@link deadLetterSink}), nothing else may appear.
 */
export class FuzzTally {
  /** Deliveries per payload index. */
  private readonly deliveries: Uint32Array;
  /** Bad payloads not dead-lettered yet, by content, with how many of each. */
  private readonly badRemaining = new Map<string, number>();
  private goodDelivered = 0;
  private duplicates = 0;
  private unexpected = 0;
  private badCounted = 0;
  private badUnmatched = 0;
  /** A few unexpected records, for the failure message. */
  readonly unexpectedSamples: unknown[] = [];

  constructor(readonly set: FuzzPayloadSet) {
    this.deliveries = new Uint32Array(set.payloads.length);
    for (const payload of set.payloads) {
      if (payload.good) continue;
      const key = payload.bytes.toString('base64');
      this.badRemaining.set(key, (this.badRemaining.get(key) ?? 0) + 1);
    }
  }

  /**
   * Takes one delivered record: a decoded good record (an object with a `fuzz` field) or its
   * text (a JSON string, from text streams).
   */
  delivered(record: unknown): void {
    const index = fuzzIndexOf(record);
    const payload = index === undefined ? undefined : this.set.payloads[index];
    if (payload === undefined || !payload.good) {
      this.unexpected++;
      if (this.unexpectedSamples.length < 5) this.unexpectedSamples.push(record);
      return;
    }
    if (this.deliveries[payload.index]++ === 0) this.goodDelivered++;
    else this.duplicates++;
  }

  /** Takes one dead-lettered payload. */
  deadLettered(payload: Buffer): void {
    const key = Buffer.from(payload).toString('base64');
    const remaining = this.badRemaining.get(key) ?? 0;
    if (remaining === 0) {
      this.badUnmatched++;
      return;
    }
    if (remaining === 1) this.badRemaining.delete(key);
    else this.badRemaining.set(key, remaining - 1);
    this.badCounted++;
  }

  /** A dead-letter sink feeding {@link deadLettered}, for `onDecodeError: deadLetter(sink)`. */
  deadLetterSink(): Sink<DeadLetterRecord> {
    return {
      guarantee: 'at-least-once',
      write: (records) => {
        for (const record of records) this.deadLettered(record.payload);
        return Promise.resolve();
      },
    };
  }

  /** Distinct payloads handled so far: good records delivered and bad payloads counted. */
  get handled(): number {
    return this.goodDelivered + this.badCounted;
  }

  /** Whether every good record arrived and every bad payload was counted. */
  get complete(): boolean {
    return this.goodDelivered === this.set.good && this.badCounted === this.set.bad;
  }

  /** Progress, for a wait's failure message. */
  describeProgress(): string {
    return `${this.goodDelivered} of ${this.set.good} good records delivered, ${this.badCounted} of ${this.set.bad} bad payloads counted`;
  }

  /** The report of the run so far. */
  report(connector: string, rss: RssMonitor): FuzzReport {
    rss.sample();
    return {
      connector,
      seed: this.set.seed,
      sent: this.set.payloads.length,
      good: this.set.good,
      bad: this.set.bad,
      goodDelivered: this.goodDelivered,
      duplicates: this.duplicates,
      lost: this.set.good - this.goodDelivered,
      unexpected: this.unexpected,
      badCounted: this.badCounted,
      badUnmatched: this.badUnmatched,
      peakRssMiB: Math.round(rss.peak / MIB),
      rssGrowthMiB: Math.round((rss.peak - rss.baselineBytes) / MIB),
    };
  }
}

/** The payload index of a delivered good record, or `undefined`. */
function fuzzIndexOf(record: unknown): number | undefined {
  let value = record;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  const id = (value as Record<string, unknown>)[FUZZ_ID_FIELD];
  if (typeof id !== 'string' || !/^\d+$/.test(id)) return undefined;
  return Number(id);
}

/** Limits a fuzz run must stay within. */
export interface FuzzLimits {
  /** The most the resident set may grow during the run, in MiB (default 512). */
  readonly maxRssGrowthMiB?: number;
}

/**
 * Throws an error listing every violation when a fuzz run lost or duplicated a good record,
 * delivered something unexpected, left a bad payload uncounted or let memory grow past the limit.
 */
export function assertFuzzReport(
  report: FuzzReport,
  limits: FuzzLimits = {},
  unexpectedSamples: readonly unknown[] = [],
): void {
  const maxGrowth = limits.maxRssGrowthMiB ?? 512;
  const problems: string[] = [];
  if (report.lost > 0) problems.push(`${report.lost} good records lost`);
  if (report.duplicates > 0) problems.push(`${report.duplicates} good records duplicated`);
  if (report.unexpected > 0) {
    problems.push(
      `${report.unexpected} unexpected records delivered, e.g. ${JSON.stringify(unexpectedSamples.slice(0, 3))}`,
    );
  }
  if (report.badCounted !== report.bad) {
    problems.push(
      `${report.bad - report.badCounted} bad payloads neither counted nor dead-lettered`,
    );
  }
  if (report.badUnmatched > 0) {
    problems.push(`${report.badUnmatched} dead letters match no bad payload sent (or repeat one)`);
  }
  if (report.rssGrowthMiB > maxGrowth) {
    problems.push(`resident memory grew by ${report.rssGrowthMiB} MiB, more than ${maxGrowth} MiB`);
  }
  if (problems.length > 0) {
    throw new Error(
      `Fuzz run of ${report.connector} (seed ${report.seed}, ${report.sent} payloads) failed: ${problems.join('; ')}`,
    );
  }
}
