import { Batch, type DStream } from '@dstream/core';
import type { Sale } from './sale.js';
import type { Store } from './store-directory.js';

/** A sale received from Pub/Sub, with the message facts kept. */
export interface ReceivedSale {
  readonly sale: Sale;
  readonly messageId: string;
  /** When Pub/Sub accepted the message, in milliseconds since the epoch. */
  readonly publishTime: number;
}

/** A sale with its store's details: what the hourly files hold. */
export interface EnrichedSale {
  readonly saleId: string;
  /** The sale's time, ISO 8601. */
  readonly time: string;
  readonly storeId: string;
  /** The store's details, or `null` when the reference table does not know the store. */
  readonly store: Store | null;
  readonly region: string;
  readonly items: number;
  readonly total: number;
  readonly currency: string;
  readonly payment: Sale['payment'];
  readonly messageId: string;
  readonly publishTime: string;
}

/** The region of sales whose store the reference table does not know. */
export const UNKNOWN_REGION = 'unknown';

/**
 * Joins every batch of sales with the stores reference table (Spark's "join a stream with a
 * dataset": `transform` with a join against a static batch). The table becomes one `Batch` of
 * `[storeId, store]` pairs, built once; each batch of sales is keyed by store and
 * left-outer-joined with it, so a sale of an unknown store is kept, with `store: null` and region
 * `unknown`, rather than dropped.
 */
export function enrichSales(
  sales: DStream<ReceivedSale>,
  stores: ReadonlyMap<string, Store>,
  numPartitions?: number,
): DStream<EnrichedSale> {
  const table = Batch.of([...stores]);
  const partitions = numPartitions ?? sales.context.defaultParallelism;
  return sales
    .map((received): [string, ReceivedSale] => [received.sale.storeId, received])
    .transform((batch) => batch.leftOuterJoin(table, partitions))
    .map(([, [received, store]]) => enrich(received, store));
}

/** The enriched form of a sale and its store (`undefined` when unknown). */
export function enrich(received: ReceivedSale, store: Store | undefined): EnrichedSale {
  const { sale } = received;
  return {
    saleId: sale.saleId,
    time: new Date(sale.ts).toISOString(),
    storeId: sale.storeId,
    store: store ?? null,
    region: store?.region ?? UNKNOWN_REGION,
    items: sale.items.reduce((sum, item) => sum + item.quantity, 0),
    total: sale.total,
    currency: sale.currency,
    payment: sale.payment,
    messageId: received.messageId,
    publishTime: new Date(received.publishTime).toISOString(),
  };
}
