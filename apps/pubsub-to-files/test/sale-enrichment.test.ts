import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, StreamingContext } from '@dstream/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HourlyJsonLinesSink, hourDirectory } from '../src/hourly-json-lines-sink.js';
import { decodeSale, type Sale } from '../src/sale.js';
import { enrichSales, type EnrichedSale, type ReceivedSale } from '../src/sale-enrichment.js';
import type { Store } from '../src/store-directory.js';

const stores = new Map<string, Store>([
  ['S1', { name: 'Harbour Street', city: 'Hamburg', country: 'DE', region: 'north' }],
  ['S2', { name: 'Altstadt', city: 'Munich', country: 'DE', region: 'south' }],
]);

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1, 13, 59, 0);

function received(saleId: string, storeId: string, ts: number): ReceivedSale {
  const sale: Sale = {
    saleId,
    storeId,
    ts,
    items: [
      { sku: 'A', quantity: 2, unitPrice: 5 },
      { sku: 'B', quantity: 1, unitPrice: 10 },
    ],
    total: 20,
    currency: 'EUR',
    payment: 'card',
  };
  return { sale, messageId: `m-${saleId}`, publishTime: ts + 50 };
}

let ssc: StreamingContext | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pubsub-to-files-'));
});

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('enrichment with the stores table', () => {
  it('adds the store of every sale, and keeps sales of unknown stores with store null', async () => {
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchInterval: 1000, clock });
    const out: EnrichedSale[][] = [];
    enrichSales(
      ssc.queueStream([
        [received('1', 'S1', T0), received('2', 'S9', T0 + 1), received('3', 'S2', T0 + 2)],
        [received('4', 'S1', T0 + 3)],
      ]),
      stores,
    ).foreachBatch((batch) => {
      out.push(batch.collect().sort((a, b) => a.saleId.localeCompare(b.saleId)));
    });
    ssc.start();
    clock.advance(2000);
    await ssc.awaitIdle();
    expect(out[0]).toEqual([
      {
        saleId: '1',
        time: new Date(T0).toISOString(),
        storeId: 'S1',
        store: stores.get('S1'),
        region: 'north',
        items: 3,
        total: 20,
        currency: 'EUR',
        payment: 'card',
        messageId: 'm-1',
        publishTime: new Date(T0 + 50).toISOString(),
      },
      expect.objectContaining({ saleId: '2', storeId: 'S9', store: null, region: 'unknown' }),
      expect.objectContaining({ saleId: '3', store: stores.get('S2'), region: 'south' }),
    ]);
    expect(out[1].map((sale) => [sale.saleId, sale.region])).toEqual([['4', 'north']]);
  });
});

describe('hourly JSON-lines files', () => {
  it('puts each record in the directory of its hour, one file per batch, partition and hour', async () => {
    const clock = new ManualClock();
    ssc = new StreamingContext({ batchInterval: 1000, clock });
    const sink = new HourlyJsonLinesSink<{ id: number; ts: number }>(dir, (record) => record.ts);
    ssc
      .queueStream([
        [
          { id: 1, ts: T0 },
          { id: 2, ts: T0 + 2 * 60_000 }, // 14:01, the next hour
          { id: 3, ts: T0 + 30_000 },
        ],
        [],
        [{ id: 4, ts: T0 - HOUR }], // late: the hour before
      ])
      .repartition(1)
      .to(sink);
    ssc.start();
    clock.advance(3000);
    await ssc.awaitIdle();
    expect(hourDirectory(T0)).toBe('date=2024-05-01/hour=13');
    expect((await readdir(join(dir, 'date=2024-05-01'))).sort()).toEqual([
      'hour=12',
      'hour=13',
      'hour=14',
    ]);
    expect(await readdir(join(dir, 'date=2024-05-01', 'hour=13'))).toEqual([
      'part-1000-00000.jsonl',
    ]);
    expect(
      await readFile(join(dir, 'date=2024-05-01', 'hour=13', 'part-1000-00000.jsonl'), 'utf8'),
    ).toBe(`{"id":1,"ts":${T0}}\n{"id":3,"ts":${T0 + 30_000}}\n`);
    expect(await readdir(join(dir, 'date=2024-05-01', 'hour=14'))).toEqual([
      'part-1000-00000.jsonl',
    ]);
    expect(await readdir(join(dir, 'date=2024-05-01', 'hour=12'))).toEqual([
      'part-3000-00000.jsonl',
    ]);
    expect(sink.files).toBe(3);
  });

  it('replaces the files of a batch written again, and leaves nothing visible of a failed batch', async () => {
    const sink = new HourlyJsonLinesSink<{ ts: number; v?: unknown }>(dir, (record) => record.ts);
    const write = async (
      batchTime: number,
      records: { ts: number; v?: unknown }[],
    ): Promise<void> => {
      const context = { batchTime, inputs: new Map() };
      sink.beginBatch(context);
      try {
        await sink.write(records, { batchTime, partition: 0, numPartitions: 1 });
      } catch (error) {
        await sink.abortBatch(context);
        throw error;
      }
      await sink.commitBatch(context);
    };
    await write(5000, [{ ts: T0, v: 1 }]);
    await write(5000, [{ ts: T0, v: 2 }]);
    const hour = join(dir, 'date=2024-05-01', 'hour=13');
    expect(await readFile(join(hour, 'part-5000-00000.jsonl'), 'utf8')).toBe(
      `{"ts":${T0},"v":2}\n`,
    );
    await expect(write(6000, [{ ts: T0 }, { ts: T0, v: 1n }])).rejects.toMatchObject({
      code: 'RECORD_NOT_WRITABLE',
    });
    await expect(write(7000, [{ ts: Number.NaN }])).rejects.toThrow(/no valid time/);
    expect(await readdir(hour)).toEqual(['part-5000-00000.jsonl']);
  });
});

describe('decodeSale', () => {
  it('accepts a sale and rejects anything else, saying why', () => {
    const sale = received('1', 'S1', T0).sale;
    expect(decodeSale(Buffer.from(JSON.stringify(sale)))).toEqual(sale);
    const bad: [unknown, RegExp][] = [
      ['{', /JSON/],
      [{ ...sale, storeId: '' }, /storeId: expected a non-empty string/],
      [{ ...sale, ts: 'now' }, /ts: expected/],
      [{ ...sale, payment: 'iou' }, /payment: expected one of card, cash, mobile/],
      [{ ...sale, items: [] }, /items: expected a non-empty array/],
      [{ ...sale, items: [{ sku: 'A' }] }, /items: expected \{ sku, quantity, unitPrice \}/],
    ];
    for (const [value, reason] of bad) {
      const data = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
      expect(() => decodeSale(data)).toThrow(reason);
    }
  });
});
