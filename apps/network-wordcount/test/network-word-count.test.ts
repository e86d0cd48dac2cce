import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamingContext } from '@dstream/core';
import { buildNetworkWordCount, formatCounts, splitWords } from '../src/network-word-count.js';

let server: Server | undefined;
let ssc: StreamingContext | undefined;

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A TCP server on 127.0.0.1 that hands its first connection over. */
async function lineServer(): Promise<{ port: number; connection: Promise<Socket> }> {
  const created = createServer();
  server = created;
  const connection = new Promise<Socket>((resolve) => created.once('connection', resolve));
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', () => resolve()));
  return { port: (created.address() as AddressInfo).port, connection };
}

function total(batches: Array<Array<[string, number]>>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const batch of batches)
    for (const [word, count] of batch) sums[word] = (sums[word] ?? 0) + count;
  return sums;
}

describe('network word count', () => {
  it('counts the words received over TCP per batch and over the sliding window', async () => {
    const { port, connection } = await lineServer();
    ssc = new StreamingContext({ batchInterval: 200, blockInterval: 50 });
    const { wordCounts, windowedWordCounts } = buildNetworkWordCount(ssc, {
      host: '127.0.0.1',
      port,
      windowDuration: 2000,
      slideDuration: 400,
    });
    const batches: Array<Array<[string, number]>> = [];
    const windows: Array<Record<string, number>> = [];
    wordCounts.foreachBatch((batch) => {
      batches.push(batch.collect());
    });
    windowedWordCounts.foreachBatch((batch) => {
      windows.push(Object.fromEntries(batch.collect()));
    });
    ssc.start();

    const socket = await connection;
    socket.write('to be or not to be\n  that is\tthe question\n');
    socket.write('to be\n');
    const expected = { to: 3, be: 3, or: 1, not: 1, that: 1, is: 1, the: 1, question: 1 };

    await vi.waitFor(() => expect(total(batches)).toEqual(expected), {
      timeout: 10_000,
      interval: 50,
    });
    // The 2 s window covers every batch the words arrived in: some window holds them all.
    await vi.waitFor(() => expect(windows).toContainEqual(expected), {
      timeout: 10_000,
      interval: 50,
    });
    socket.destroy();
  });

  it('splits lines on any whitespace and sorts counts by frequency, then word', () => {
    expect(splitWords('  a\tb  c\r')).toEqual(['a', 'b', 'c']);
    expect(splitWords('   ')).toEqual([]);
    expect(
      formatCounts(
        [
          ['b', 1],
          ['a', 1],
          ['c', 5],
        ],
        2,
      ),
    ).toEqual(['  c: 5', '  a: 1', '  … and 1 more word']);
  });
});
