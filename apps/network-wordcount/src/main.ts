// Counts words received over TCP, per batch and over a sliding window, like Spark's
// NetworkWordCount. Usage: node dist/main.js [host] [port]   (defaults: localhost 9999)
// Feed it from another terminal with: nc -lk 9999
import { seconds, StreamingContext, type Logger } from '@dstream/core';
import { buildNetworkWordCount, formatCounts } from './network-word-count.js';

const BATCH_INTERVAL = seconds(1);
const WINDOW = seconds(30);
const SLIDE = seconds(10);

function usage(message: string): never {
  process.stderr.write(
    `${message}\nUsage: node dist/main.js [host] [port]   (defaults: localhost 9999)\n`,
  );
  process.exit(2);
}

/** Warnings and errors to stderr, one line each; the rest is not shown. */
const logger: Logger = {
  debug() {},
  info() {},
  warn(obj, msg) {
    process.stderr.write(`[warn] ${describe(obj, msg)}\n`);
  },
  error(obj, msg) {
    process.stderr.write(`[error] ${describe(obj, msg)}\n`);
  },
};

function describe(obj: object, msg: string | undefined): string {
  const err = (obj as { err?: unknown }).err;
  const detail = err instanceof Error ? err.message : undefined;
  return [msg, detail].filter((part) => part !== undefined && part !== '').join(': ');
}

function clockTime(time: number): string {
  return new Date(time).toISOString().slice(11, 19);
}

const [host = 'localhost', portText = '9999', ...extra] = process.argv.slice(2);
if (extra.length > 0) usage(`Unexpected arguments: ${extra.join(' ')}`);
const port = Number(portText);
if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`Invalid port: ${portText}`);

const ssc = new StreamingContext({
  batchInterval: BATCH_INTERVAL,
  logger,
  stopGracefullyOnShutdown: true,
});
const { wordCounts, windowedWordCounts } = buildNetworkWordCount(ssc, {
  host,
  port,
  windowDuration: WINDOW,
  slideDuration: SLIDE,
});

wordCounts.foreachBatch((batch, time) => {
  const counts = batch.collect();
  if (counts.length === 0) return;
  process.stdout.write([`Batch ${clockTime(time)}`, ...formatCounts(counts), ''].join('\n') + '\n');
});
windowedWordCounts.foreachBatch((batch, time) => {
  const lines = formatCounts(batch.collect());
  const header = `=== Last ${WINDOW / 1000} s, ${clockTime(time - WINDOW)}–${clockTime(time)} ===`;
  process.stdout.write(
    [header, ...(lines.length > 0 ? lines : ['  (no words)']), ''].join('\n') + '\n',
  );
});

process.stderr.write(`Counting words from ${host}:${port}; press Ctrl+C to stop.\n`);
ssc.start();
try {
  await ssc.awaitTermination();
} catch (error) {
  process.stderr.write(`[error] ${error instanceof Error ? error.message : String(error)}\n`);
  await ssc.stop();
  process.exitCode = 1;
}
