import { SeededRandom } from '@dstream/example-support';
import type { Sale, SaleItem } from './sale.js';

/** How the simulated stores sell. */
export interface SaleSimulationSettings {
  /** The store ids that sell (those of the reference table). */
  readonly storeIds: readonly string[];
  /** Sales per second over all stores, on average. */
  readonly rate: number;
  /** The share of sales from a store the reference table does not know (a new store). */
  readonly unknownStoreRate: number;
  /** The share of messages that are malformed. */
  readonly malformedRate: number;
  readonly seed: number;
}

/** One message to publish: the data, and the attributes. */
export interface SaleMessage {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
}

const CATALOG: readonly { readonly sku: string; readonly price: number }[] = [
  { sku: 'TEE-WHITE', price: 19.9 },
  { sku: 'TEE-BLACK', price: 19.9 },
  { sku: 'JEANS-SLIM', price: 79 },
  { sku: 'JACKET-RAIN', price: 129 },
  { sku: 'SNEAKER-LOW', price: 89.5 },
  { sku: 'SOCKS-3PK', price: 9.99 },
  { sku: 'CAP-LOGO', price: 24 },
  { sku: 'SCARF-WOOL', price: 39 },
];
const NEW_STORES = ['S101', 'S102'];

/**
 * Point-of-sale traffic: sales at random stores (some stores much busier than others), of one to
 * four catalog items, paid by card, cash or phone, at a Poisson rate; now and then a sale from a
 * store that is not in the reference table yet, and a malformed message.
 */
export class SaleSimulation {
  private readonly random: SeededRandom;
  private nextAt: number;
  private sequence = 0;
  private producedCount = 0;

  constructor(
    private readonly settings: SaleSimulationSettings,
    startTime: number,
  ) {
    this.random = new SeededRandom(settings.seed);
    this.nextAt = startTime + this.gap();
  }

  /** Messages produced so far, malformed ones included. */
  get produced(): number {
    return this.producedCount;
  }

  /** The messages due by `now`, in time order. */
  tick(now: number): SaleMessage[] {
    const out: SaleMessage[] = [];
    while (this.nextAt <= now) {
      out.push(this.message(Math.round(this.nextAt)));
      this.nextAt += this.gap();
    }
    this.producedCount += out.length;
    return out;
  }

  private gap(): number {
    return (-Math.log(1 - this.random.next()) * 1000) / this.settings.rate;
  }

  private message(ts: number): SaleMessage {
    const random = this.random;
    const { storeIds } = this.settings;
    const storeId = random.chance(this.settings.unknownStoreRate)
      ? random.pick(NEW_STORES)
      : storeIds[Math.floor(storeIds.length * random.next() ** 1.7)];
    const saleId = `${storeId}-${ts}-${this.sequence++}`;
    const attributes = { storeId, schema: 'sale/v1' };
    if (random.chance(this.settings.malformedRate)) {
      const broken = random.chance(0.5)
        ? `{"saleId":"${saleId}","storeId":"${storeId}","ts":`
        : 'sale at till 3';
      return { data: Buffer.from(broken), attributes };
    }
    const items: SaleItem[] = [];
    const count = random.integer(1, 4);
    for (let i = 0; i < count; i++) {
      const product = random.pick(CATALOG);
      items.push({
        sku: product.sku,
        quantity: random.chance(0.8) ? 1 : random.integer(2, 3),
        unitPrice: product.price,
      });
    }
    const total =
      Math.round(items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0) * 100) / 100;
    const roll = random.next();
    const sale: Sale = {
      saleId,
      storeId,
      ts,
      items,
      total,
      currency: 'EUR',
      payment: roll < 0.7 ? 'card' : roll < 0.85 ? 'mobile' : 'cash',
    };
    return { data: Buffer.from(JSON.stringify(sale)), attributes };
  }
}
