import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration, StreamingContext } from '@dstream/core';
import {
  consoleLogger,
  runUntilStopped,
  statusLineListener,
  stopHint,
  type AppConsole,
} from '@dstream/example-support';
import { jsonLinesFileSink } from '@dstream/file';
import { kafkaDirectStream, kafkaSink } from '@dstream/kafka';
import { Kafka, logLevel } from 'kafkajs';
import type { ClickstreamConfig } from './cli-options.js';
import { prepareTopics, topicsOf } from './kafka-setup.js';
import { LoadGenerator } from './load-generator.js';
import { decodePageView, type PageView } from './page-view.js';
import {
  RunStatistics,
  formatStatusLine,
  formatSummary,
  type RunSummary,
} from './run-statistics.js';
import {
  openSessionMessage,
  sessionMessage,
  tombstoneMessage,
  type OutgoingMessage,
} from './session-messages.js';
import { restoreOpenSessions } from './session-state-store.js';
import { buildSessionization } from './sessionization.js';

/** How a run ended. */
export interface RunResult {
  readonly summary: RunSummary;
  /** Page views the generator produced, if it ran. */
  readonly produced: number | undefined;
  /** The error that stopped the run, if one did. */
  readonly error: unknown;
}

const CLIENT_ID = 'dstream-clickstream';

/**
 * Runs the application: creates the topics if needed, reads back the open sessions an earlier
 * run left, starts the load generator (unless disabled) and the streaming job, until
 * `config.duration` passed or Ctrl-C, then stops gracefully and prints a summary.
 */
export async function runClickstream(
  config: ClickstreamConfig,
  io: AppConsole,
): Promise<RunResult> {
  const started = Date.now();
  const logger = consoleLogger((line) => io.err(line));
  const topics = topicsOf(config.topicPrefix);
  const groupId = `${config.topicPrefix}-sessionizer`;
  const transactionalId = `${config.topicPrefix}-sessionizer`;
  const kafka = new Kafka({
    clientId: CLIENT_ID,
    brokers: [...config.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });

  const created = await prepareTopics(kafka, config.brokers, topics, config.partitions);
  const restored = await restoreOpenSessions(kafka, topics.sessionState, transactionalId, logger);
  await mkdir(config.outputDir, { recursive: true });
  const checkpointDir = await mkdtemp(join(tmpdir(), 'dstream-clickstream-'));
  const statistics = new RunStatistics();
  let generator: LoadGenerator | undefined;
  let sessionDirectories = 0;
  let error: unknown;
  const stoppingMessage =
    'Stopping gracefully: finishing the batches in progress (Ctrl-C again to quit at once)';
  try {
    const ssc = new StreamingContext({
      batchInterval: config.batchInterval,
      checkpointDir,
      logger,
      stopGracefullyOnShutdown: true,
    });
    const views = kafkaDirectStream<string, PageView>(ssc, {
      brokers: config.brokers,
      clientId: CLIENT_ID,
      topics: [topics.pageViews],
      groupId,
      startingOffsets: 'committed',
      autoOffsetReset: 'earliest',
      // The transactions of the sink commit the offsets, with the batch's output.
      commitOffsets: false,
      valueDecoder: decodePageView,
      onDecodeError: 'skip',
      maxRatePerPartition: config.maxRatePerPartition,
      // After a crash the reader's group waits for the dead member's session to expire before
      // the next run can read: keep that short.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    })
      .filter((record) => record.value !== null)
      .map((record) => record.value as PageView);
    const { sessions, changedSessions, endedUsers, openSessions } = buildSessionization(
      views,
      config.sessionGap,
      restored,
    );

    // Output 1: the finished sessions as JSON lines, one directory per batch that finished any.
    sessions.to(
      jsonLinesFileSink(join(config.outputDir, 'sessions', 'sessions'), {
        suffix: 'jsonl',
        writeEmptyBatches: false,
      }),
    );
    // Output 2: one Kafka transaction per batch with the finished sessions, the changes of the
    // open sessions, and the offsets the batch consumed.
    sessions
      .map(sessionMessage(topics.sessions))
      .union(
        changedSessions.map(openSessionMessage(topics.sessionState)),
        endedUsers.map(tombstoneMessage(topics.sessionState)),
      )
      .to(
        kafkaSink<OutgoingMessage>({
          brokers: config.brokers,
          clientId: CLIENT_ID,
          topic: (message) => message.topic,
          key: (message) => message.key,
          value: (message) => message.value,
          transactional: { transactionalId },
          name: 'sessions and open sessions',
          logger,
        }),
      );
    sessions.foreachBatch((batch, time) => {
      const finished = batch.collect();
      if (finished.length > 0) sessionDirectories++;
      statistics.recordSessions(time, finished);
    }, 'count sessions');
    openSessions.foreachBatch((batch) => {
      statistics.recordOpenSessions(batch.count());
    }, 'count open sessions');
    ssc.addListener(
      statusLineListener(
        (line) => io.out(line),
        (batchInfo) => formatStatusLine(statistics.completeBatch(batchInfo)),
      ),
    );

    io.out('dstream Kafka clickstream');
    io.out(
      `  kafka      ${config.brokers.join(',')}${created.length > 0 ? ` (created ${created.join(', ')})` : ''}`,
    );
    io.out(
      config.generate
        ? `  generator  ${config.users} visitors, ${formatDuration(config.thinkTime)} per page on average, to ${topics.pageViews}`
        : `  generator  off: reading what is produced to ${topics.pageViews}`,
    );
    io.out(
      `  sessions   gap ${formatDuration(config.sessionGap)}; batches of ${formatDuration(config.batchInterval)}; ${restored.size} open sessions restored from ${topics.sessionState}`,
    );
    io.out(
      `  output     topic ${topics.sessions} (transactional, group ${groupId}); files in ${config.outputDir}`,
    );
    io.out(stopHint(config.duration));

    error = await runUntilStopped(ssc, {
      duration: config.duration,
      io,
      stoppingMessage,
      startSource: async () => {
        if (!config.generate) return undefined;
        generator = new LoadGenerator(
          kafka,
          topics.pageViews,
          { users: config.users, thinkTime: config.thinkTime, seed: config.seed },
          (generatorError) => io.err(`[warn] load generator: ${generatorError.message}`),
        );
        await generator.start();
        return generator;
      },
    });
  } finally {
    await generator?.stop();
    await rm(checkpointDir, { recursive: true, force: true });
  }
  const summary = statistics.summary();
  io.out(
    formatSummary(summary, {
      elapsed: Date.now() - started,
      produced: generator?.produced,
      sessionsTopic: topics.sessions,
      stateTopic: topics.sessionState,
      outputDir: config.outputDir,
      sessionDirectories,
    }),
  );
  return { summary, produced: generator?.produced, error };
}
