import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetter, formatDuration, StreamingContext } from '@dstream/core';
import {
  consoleLogger,
  MalformedMessageLog,
  runUntilStopped,
  statusLineListener,
  stopHint,
  type AppConsole,
} from '@dstream/example-support';
import { pubsubStream } from '@dstream/pubsub';
import type { PubsubToFilesConfig } from './cli-options.js';
import { HourlyJsonLinesSink, hourDirectory } from './hourly-json-lines-sink.js';
import { emulatorClient, prepareSubscription } from './pubsub-setup.js';
import {
  RunStatistics,
  formatStatusLine,
  formatSummary,
  type RunSummary,
} from './run-statistics.js';
import { decodeSale } from './sale.js';
import { enrichSales, type EnrichedSale, type ReceivedSale } from './sale-enrichment.js';
import { SalePublisher } from './sale-publisher.js';
import { loadStoreDirectory } from './store-directory.js';

/** How a run ended. */
export interface RunResult {
  readonly summary: RunSummary;
  /** Sales the publisher published, if it ran. */
  readonly published: number | undefined;
  /** The error that stopped the run, if one did. */
  readonly error: unknown;
}

function timeOfSale(sale: EnrichedSale): number {
  return Date.parse(sale.time);
}

/**
 * Runs the application: loads the stores table, creates the topic and subscription if needed,
 * starts the publisher (unless disabled) and the streaming job, until `config.duration` passed
 * or Ctrl-C, then stops gracefully and prints a summary.
 */
export async function runPubsubToFiles(
  config: PubsubToFilesConfig,
  io: AppConsole,
): Promise<RunResult> {
  const started = Date.now();
  const logger = consoleLogger((line) => io.err(line));
  const stores = await loadStoreDirectory(config.storesFile);
  const target = { emulatorHost: config.emulatorHost, projectId: config.projectId };
  const pubsub = emulatorClient(target);
  const statistics = new RunStatistics();
  const sink = new HourlyJsonLinesSink<EnrichedSale>(join(config.outputDir, 'sales'), timeOfSale);
  const malformed = new MalformedMessageLog(join(config.outputDir, 'malformed.jsonl'));
  let publisher: SalePublisher | undefined;
  let checkpointDir: string | undefined;
  let error: unknown;
  const stoppingMessage =
    'Stopping gracefully: processing what was received (Ctrl-C again to quit at once)';
  try {
    const created = await prepareSubscription(pubsub, target, config.topic, config.subscription);
    await mkdir(config.outputDir, { recursive: true });
    // Opened now, so that each run starts the file afresh even when nothing is malformed.
    await malformed.open();
    checkpointDir = await mkdtemp(join(tmpdir(), 'dstream-pubsub-to-files-'));
    const ssc = new StreamingContext({
      batchInterval: config.batchInterval,
      checkpointDir,
      logger,
      stopGracefullyOnShutdown: true,
    });
    const sales = pubsubStream(ssc, {
      projectId: config.projectId,
      subscription: config.subscription,
      clientConfig: { apiEndpoint: config.emulatorHost, emulatorMode: true },
      // Acknowledged once written: what a crash interrupts is delivered again.
      ackOn: 'processed',
      flowControl: { maxMessages: 10_000 },
      decoder: decodeSale,
      onDecodeError: deadLetter(malformed),
    }).map((message): ReceivedSale => ({
      sale: message.data,
      messageId: message.id,
      publishTime: message.publishTime,
    }));
    const enriched = enrichSales(sales, stores);
    enriched.to(sink);
    enriched.foreachBatch((batch, time) => {
      statistics.recordSales(time, batch.collect(), (sale) => hourDirectory(timeOfSale(sale)));
    }, 'count sales');
    ssc.addListener(
      statusLineListener(
        (line) => io.out(line),
        (batchInfo) =>
          formatStatusLine(statistics.completeBatch(batchInfo, malformed.count, sink.files)),
      ),
    );

    io.out('dstream Pub/Sub to files');
    io.out(
      `  pubsub     emulator ${config.emulatorHost}, project ${config.projectId}: topic ${config.topic}, subscription ${config.subscription}${created.length > 0 ? ` (created ${created.join(', ')})` : ''}`,
    );
    io.out(`  stores     ${stores.size} stores from ${config.storesFile}`);
    io.out(
      config.publish
        ? `  publisher  ${config.rate} sales per second, ${(config.unknownStoreRate * 100).toFixed(1)} % from unknown stores, ${(config.malformedRate * 100).toFixed(1)} % malformed`
        : `  publisher  off: reading what is published to ${config.topic}`,
    );
    io.out(
      `  output     ${join(config.outputDir, 'sales')}/date=YYYY-MM-DD/hour=HH/ (batches of ${formatDuration(config.batchInterval)})`,
    );
    io.out(stopHint(config.duration));

    error = await runUntilStopped(ssc, {
      duration: config.duration,
      io,
      stoppingMessage,
      startSource: () => {
        if (!config.publish) return undefined;
        publisher = new SalePublisher(
          pubsub,
          config.topic,
          {
            storeIds: [...stores.keys()],
            rate: config.rate,
            unknownStoreRate: config.unknownStoreRate,
            malformedRate: config.malformedRate,
            seed: config.seed,
          },
          (publishError) => io.err(`[warn] publisher: ${publishError.message}`),
        );
        publisher.start();
        return publisher;
      },
    });
  } finally {
    await publisher?.stop();
    await malformed.close();
    await pubsub.close();
    if (checkpointDir !== undefined) await rm(checkpointDir, { recursive: true, force: true });
  }
  const summary = statistics.summary(malformed.count, sink.files);
  io.out(
    formatSummary(summary, {
      elapsed: Date.now() - started,
      published: publisher?.published,
      outputDir: config.outputDir,
    }),
  );
  return { summary, published: publisher?.published, error };
}
