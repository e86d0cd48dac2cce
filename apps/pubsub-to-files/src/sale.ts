import { jsonDecoder } from '@dstream/core';

/** A line of a sale. */
export interface SaleItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

/** A sale, as the point-of-sale systems publish it to Pub/Sub (JSON data). */
export interface Sale {
  readonly saleId: string;
  readonly storeId: string;
  /** When the sale happened, in milliseconds since the epoch. */
  readonly ts: number;
  readonly items: readonly SaleItem[];
  readonly total: number;
  readonly currency: string;
  readonly payment: 'card' | 'cash' | 'mobile';
}

const PAYMENTS: readonly string[] = ['card', 'cash', 'mobile'];

/**
 * The decoder of the sales stream: the message data as a JSON sale, checked. Anything else
 * throws with the reason (the stream's `onDecodeError` decides what happens then).
 */
export function decodeSale(data: Buffer): Sale {
  const value = jsonDecoder(data);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('expected a JSON object');
  }
  const sale = value as Record<string, unknown>;
  for (const field of ['saleId', 'storeId', 'currency'] as const) {
    if (typeof sale[field] !== 'string' || sale[field] === '') {
      throw new Error(`${field}: expected a non-empty string`);
    }
  }
  if (typeof sale.ts !== 'number' || !Number.isSafeInteger(sale.ts) || sale.ts <= 0) {
    throw new Error('ts: expected a positive integer timestamp in milliseconds');
  }
  if (typeof sale.total !== 'number' || !Number.isFinite(sale.total)) {
    throw new Error('total: expected a number');
  }
  if (typeof sale.payment !== 'string' || !PAYMENTS.includes(sale.payment)) {
    throw new Error(`payment: expected one of ${PAYMENTS.join(', ')}`);
  }
  if (!Array.isArray(sale.items) || sale.items.length === 0) {
    throw new Error('items: expected a non-empty array');
  }
  for (const item of sale.items as unknown[]) {
    const line = item as Partial<SaleItem> | null;
    if (
      line === null ||
      typeof line !== 'object' ||
      typeof line.sku !== 'string' ||
      typeof line.quantity !== 'number' ||
      typeof line.unitPrice !== 'number'
    ) {
      throw new Error('items: expected { sku, quantity, unitPrice } objects');
    }
  }
  return value as Sale;
}
