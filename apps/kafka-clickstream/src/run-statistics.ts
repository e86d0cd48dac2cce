import type { BatchInfo } from '@dstream/core';
import {
  BatchTimings,
  formatProcessing,
  formatRanFor,
  formatStatusLine as formatBatchLine,
  type BatchOutcome,
  type TimingSummary,
} from '@dstream/example-support';
import type { Session } from './sessionization.js';

/** What one batch did, as its status line shows it. */
export interface BatchFigures extends BatchOutcome {
  /** Page views read in the batch. */
  readonly pageViews: number;
  /** Sessions the batch finished, and how many of them converted. */
  readonly sessions: number;
  readonly converted: number;
  /** Open sessions after the batch. */
  readonly open: number;
}

/** What a whole run did. */
export interface RunSummary extends TimingSummary {
  readonly pageViews: number;
  readonly sessions: number;
  readonly converted: number;
  /** Page views in the finished sessions. */
  readonly sessionPageViews: number;
  readonly openAtEnd: number;
}

/**
 * Adds up what the output operations record while a batch runs (finished sessions, open
 * sessions) and what the engine reports once it completed (page views, delays).
 */
export class RunStatistics {
  private readonly pending = new Map<number, { sessions: number; converted: number }>();
  private readonly timings = new BatchTimings();
  private open = 0;
  private pageViews = 0;
  private sessions = 0;
  private converted = 0;
  private sessionPageViews = 0;

  /** The sessions the batch at `time` finished (an output operation calls it). */
  recordSessions(time: number, sessions: readonly Session[]): void {
    let converted = 0;
    for (const session of sessions) {
      if (session.converted) converted++;
      this.sessionPageViews += session.pageViews;
    }
    this.pending.set(time, { sessions: sessions.length, converted });
  }

  /** How many sessions are open after the batch (an output operation calls it). */
  recordOpenSessions(count: number): void {
    this.open = count;
  }

  /** Completes a batch once the engine reports it done. */
  completeBatch(info: BatchInfo): BatchFigures {
    const figures = this.pending.get(info.batchTime) ?? { sessions: 0, converted: 0 };
    this.pending.delete(info.batchTime);
    this.pageViews += info.numRecords;
    this.sessions += figures.sessions;
    this.converted += figures.converted;
    return {
      ...this.timings.complete(info),
      pageViews: info.numRecords,
      sessions: figures.sessions,
      converted: figures.converted,
      open: this.open,
    };
  }

  /** The run so far. */
  summary(): RunSummary {
    return {
      ...this.timings.summary(),
      pageViews: this.pageViews,
      sessions: this.sessions,
      converted: this.converted,
      sessionPageViews: this.sessionPageViews,
      openAtEnd: this.open,
    };
  }
}

/**
 * The status line of a batch, such as
 * `12:00:05 batch 4 page-views 412 sessions 37 converted 3 open 184 processing 48 ms delay 2 ms`.
 */
export function formatStatusLine(figures: BatchFigures): string {
  return formatBatchLine(
    figures,
    `page-views ${figures.pageViews} sessions ${figures.sessions} converted ${figures.converted}` +
      ` open ${figures.open}`,
  );
}

/** What the summary says besides the run's figures. */
export interface SummaryContext {
  readonly elapsed: number;
  /** Page views the generator produced, if it ran. */
  readonly produced: number | undefined;
  readonly sessionsTopic: string;
  readonly stateTopic: string;
  readonly outputDir: string;
  readonly sessionDirectories: number;
}

/** The summary printed when the application stops. */
export function formatSummary(summary: RunSummary, context: SummaryContext): string {
  const share = summary.sessions === 0 ? 0 : (100 * summary.converted) / summary.sessions;
  return [
    'Summary',
    formatRanFor(summary, context.elapsed),
    `  page views     ${summary.pageViews} read${context.produced === undefined ? '' : `; the generator produced ${context.produced}`}`,
    `  sessions       ${summary.sessions} finished (${summary.sessionPageViews} page views), ${summary.converted} converted (${share.toFixed(1)} %); ${summary.openAtEnd} open at the end, kept in ${context.stateTopic}`,
    formatProcessing(summary),
    `  output         topic ${context.sessionsTopic}; ${context.outputDir} (${context.sessionDirectories} session ${context.sessionDirectories === 1 ? 'directory' : 'directories'})`,
  ].join('\n');
}
