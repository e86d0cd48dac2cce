import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StreamingContext, type DStream } from '@dstream/core';
import { brokerAddresses } from '@dstream/infra/test-support/brokers';
import { mqttStream, type MqttMessage } from '@dstream/mqtt';
import { announceRunning } from '../child-signals.js';
import { readBatchDirectories } from '../batch-directories.js';
import { logBatchProgress } from '../batch-progress-log.js';
import { childLogger } from '../child-logger.js';
import type { CrashPipeline, PipelineWorkspace } from '../crash-pipeline.js';
import { allReadings, readingId, type DeviceReading } from '../device-readings.js';
import { createPersistentSession, publishReadings, removeSession } from '../mqtt-broker-session.js';
import { readSettings, writeSettings } from '../workspace-settings.js';

/** What the parent decided for a run of an MQTT pipeline; every child reads it back. */
export interface MqttRunSettings {
  readonly url: string;
  /** The receiver's fixed client id: the broker keeps its persistent session under it. */
  readonly clientId: string;
  /** Readings go to `<topicPrefix>/<device>`; the receiver subscribes to `<topicPrefix>/+`. */
  readonly topicPrefix: string;
}

/** The input is published in this many slices, spread over the feeding time. */
const SLICES = 30;

/** The directory the child's file sinks write to. */
export function outputDir(workspace: PipelineWorkspace): string {
  return join(workspace.directory, 'out');
}

/** Every record of the complete batch directories `out/<prefix>-<time>`, parsed from JSON. */
export async function readOutput<T>(workspace: PipelineWorkspace, prefix: string): Promise<T[]> {
  const batches = await readBatchDirectories(outputDir(workspace), prefix);
  return batches.flatMap((batch) => batch.lines.map((line) => JSON.parse(line) as T));
}

/** The ids of every reading published, in publishing order. */
export function inputIds(): string[] {
  return allReadings().map(readingId);
}

/** Whether every input id is among the ids in `out/records-*`. */
export async function allIdsWritten(workspace: PipelineWorkspace): Promise<boolean> {
  const seen = new Set(await readOutput<string>(workspace, 'records'));
  return inputIds().every((id) => seen.has(id));
}

/**
 * The parent side both MQTT pipelines share: a persistent session created before anything is
 * published (so the broker queues every message for the receiver, also while its child is dead),
 * the readings published with QoS 1 over a few seconds, and the session removed afterwards.
 */
export const mqttReadingsInput: Pick<CrashPipeline, 'prepare' | 'feed' | 'cleanup'> = {
  async prepare(workspace) {
    const run = randomUUID().slice(0, 8);
    const settings: MqttRunSettings = {
      url: brokerAddresses().mqtt,
      clientId: `dstream-crash-${run}`,
      topicPrefix: `dstream-crash/${run}/devices`,
    };
    await createPersistentSession(settings.url, settings.clientId, `${settings.topicPrefix}/+`);
    await mkdir(outputDir(workspace), { recursive: true });
    await writeSettings(workspace, settings);
  },

  async feed(workspace, pace) {
    const settings = readSettings<MqttRunSettings>(workspace);
    await publishReadings(
      settings.url,
      settings.topicPrefix,
      allReadings(),
      SLICES,
      pace.duration / SLICES,
    );
  },

  async cleanup(workspace) {
    const settings = readSettings<MqttRunSettings>(workspace);
    await removeSession(settings.url, settings.clientId);
  },
};

/**
 * The child side both MQTT pipelines share: a context recovered with getOrCreate, with the
 * write-ahead log on, reading the readings with a reliable QoS 1 receiver (fixed client id,
 * persistent session, acknowledged once stored, that is written to the log); `define` adds the
 * rest of the graph. Runs until SIGTERM (a graceful stop) or SIGKILL.
 */
export async function runMqttPipeline(
  workspace: PipelineWorkspace,
  define: (readings: DStream<MqttMessage<DeviceReading>>, context: StreamingContext) => void,
): Promise<void> {
  const settings = readSettings<MqttRunSettings>(workspace);
  const logger = childLogger();
  const ssc = await StreamingContext.getOrCreate(workspace.checkpointDir, () => {
    const context = new StreamingContext({
      batchInterval: 500,
      blockInterval: 100,
      checkpointDir: workspace.checkpointDir,
      checkpointInterval: 500,
      writeAheadLog: true,
      stopGracefullyOnShutdown: true,
      logger,
    });
    const readings = mqttStream<DeviceReading>(context, {
      url: settings.url,
      topics: [`${settings.topicPrefix}/+`],
      qos: 1,
      clientId: settings.clientId,
      ackOn: 'stored',
      decoder: 'json',
    });
    define(readings, context);
    return context;
  });
  logBatchProgress(ssc, logger);
  ssc.start();
  announceRunning();
  await ssc.awaitTermination();
}
