import type { BatchInfo } from '@dstream/core';
import {
  BatchTimings,
  formatProcessing,
  formatRanFor,
  formatStatusLine as formatBatchLine,
  Increments,
  type BatchOutcome,
  type TimingSummary,
} from '@dstream/example-support';
import type { EnrichedSale } from './sale-enrichment.js';

/** What one batch did, as its status line shows it. */
export interface BatchFigures extends BatchOutcome {
  /** Sales in the batch. */
  readonly sales: number;
  /** Sales of stores the reference table does not know. */
  readonly unmatched: number;
  /** Malformed messages since the previous status line. */
  readonly malformed: number;
  /** Files the batch made visible. */
  readonly files: number;
}

/** What a whole run did. */
export interface RunSummary extends TimingSummary {
  readonly sales: number;
  readonly revenue: number;
  readonly unmatched: number;
  /** Store ids of unmatched sales, with their counts. */
  readonly unknownStores: ReadonlyMap<string, number>;
  /** Sales per region. */
  readonly regions: ReadonlyMap<string, number>;
  readonly malformed: number;
  readonly files: number;
  /** The hour directories written to. */
  readonly hours: ReadonlySet<string>;
}

/**
 * Adds up what an output operation records while a batch runs (the enriched sales) and what the
 * engine reports once it completed (delays); `malformed` and `files` are running totals read
 * from the dead-letter sink and the file sink.
 */
export class RunStatistics {
  private readonly pending = new Map<number, { unmatched: number }>();
  private readonly unknownStores = new Map<string, number>();
  private readonly regions = new Map<string, number>();
  private readonly hours = new Set<string>();
  private readonly timings = new BatchTimings();
  private readonly malformedIncrements = new Increments();
  private readonly fileIncrements = new Increments();
  private sales = 0;
  private revenue = 0;
  private unmatched = 0;

  /** The enriched sales of the batch at `time`; `hourOf` names the hour directory of a sale. */
  recordSales(
    time: number,
    sales: readonly EnrichedSale[],
    hourOf: (sale: EnrichedSale) => string,
  ): void {
    let unmatched = 0;
    for (const sale of sales) {
      if (sale.store === null) {
        unmatched++;
        this.unknownStores.set(sale.storeId, (this.unknownStores.get(sale.storeId) ?? 0) + 1);
      }
      this.regions.set(sale.region, (this.regions.get(sale.region) ?? 0) + 1);
      this.revenue += sale.total;
      this.hours.add(hourOf(sale));
    }
    this.pending.set(time, { unmatched });
  }

  /** Completes a batch once the engine reports it done. */
  completeBatch(info: BatchInfo, malformed: number, files: number): BatchFigures {
    const figures = this.pending.get(info.batchTime) ?? { unmatched: 0 };
    this.pending.delete(info.batchTime);
    this.sales += info.numRecords;
    this.unmatched += figures.unmatched;
    return {
      ...this.timings.complete(info),
      sales: info.numRecords,
      unmatched: figures.unmatched,
      malformed: this.malformedIncrements.since(malformed),
      files: this.fileIncrements.since(files),
    };
  }

  /** The run so far, with the final totals of malformed messages and files. */
  summary(malformed: number, files: number): RunSummary {
    return {
      ...this.timings.summary(),
      sales: this.sales,
      revenue: Math.round(this.revenue * 100) / 100,
      unmatched: this.unmatched,
      unknownStores: new Map(this.unknownStores),
      regions: new Map(this.regions),
      malformed,
      files,
      hours: new Set(this.hours),
    };
  }
}

/**
 * The status line of a batch, such as
 * `13:00:04 batch 3 sales 98 unmatched 2 malformed 0 files 2 processing 15 ms delay 1 ms`.
 */
export function formatStatusLine(figures: BatchFigures): string {
  return formatBatchLine(
    figures,
    `sales ${figures.sales} unmatched ${figures.unmatched} malformed ${figures.malformed}` +
      ` files ${figures.files}`,
  );
}

/** The summary printed when the application stops. */
export function formatSummary(
  summary: RunSummary,
  context: {
    readonly elapsed: number;
    readonly published: number | undefined;
    readonly outputDir: string;
  },
): string {
  const regions = [...summary.regions]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([region, count]) => `${region} ${count}`)
    .join(', ');
  const unknown = [...summary.unknownStores]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([store, count]) => `${store} ×${count}`)
    .join(', ');
  return [
    'Summary',
    formatRanFor(summary, context.elapsed),
    `  sales          ${summary.sales} received${context.published === undefined ? '' : ` (${context.published} published)`}, ${summary.revenue.toFixed(2)} EUR; ${summary.malformed} malformed messages`,
    `  stores         ${summary.sales - summary.unmatched} sales matched the reference table, ${summary.unmatched} did not${unknown === '' ? '' : ` (${unknown})`}`,
    `  regions        ${regions === '' ? 'none' : regions}`,
    formatProcessing(summary),
    `  output         ${context.outputDir}: ${summary.files} files in ${summary.hours.size} hour ${summary.hours.size === 1 ? 'directory' : 'directories'}, malformed.jsonl`,
  ].join('\n');
}
