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
import { jsonLinesFileSink } from '@dstream/file';
import { mqttStream } from '@dstream/mqtt';
import type { IotSensorsConfig } from './cli-options.js';
import { alertRecord } from './device-tracking.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';
import {
  RunStatistics,
  formatStatusLine,
  formatSummary,
  type RunSummary,
} from './run-statistics.js';
import { buildSensorPipeline } from './sensor-pipeline.js';
import {
  decodeReading,
  deviceOfTopic,
  readingsTopicFilter,
  type SensorReading,
} from './sensor-reading.js';
import { SensorSimulator } from './sensor-simulator.js';

/** How a run ended. */
export interface RunResult {
  readonly summary: RunSummary;
  /** The error that stopped the run, if one did. */
  readonly error: unknown;
}

/**
 * Runs the application: an embedded broker unless `config.mqttUrl` names one, the simulator
 * unless disabled, and the streaming job, until `config.duration` passed or Ctrl-C (SIGINT or
 * SIGTERM), then stops gracefully: the batches of what was received are processed, files
 * completed, and a summary printed.
 */
export async function runIotSensors(config: IotSensorsConfig, io: AppConsole): Promise<RunResult> {
  const started = Date.now();
  const alertsPrefix = join(config.outputDir, 'alerts', 'alerts');
  await mkdir(config.outputDir, { recursive: true });

  let broker: EmbeddedBroker | undefined;
  let url = config.mqttUrl;
  if (url === undefined) {
    broker = await startEmbeddedBroker(config.brokerPort);
    url = broker.url;
  }
  const checkpointDir = await mkdtemp(join(tmpdir(), 'dstream-iot-sensors-'));
  const malformed = new MalformedMessageLog(join(config.outputDir, 'malformed.jsonl'));
  const statistics = new RunStatistics();
  let simulator: SensorSimulator | undefined;
  let alertBatches = 0;
  let error: unknown;
  const stoppingMessage =
    'Stopping gracefully: processing what was received (Ctrl-C again to quit at once)';
  try {
    // Opened now, so that each run starts the file afresh even when nothing is malformed.
    await malformed.open();
    const ssc = new StreamingContext({
      batchInterval: config.batchInterval,
      checkpointDir,
      logger: consoleLogger((line) => io.err(line)),
      stopGracefullyOnShutdown: true,
    });
    const slide = config.slide ?? config.batchInterval;
    const messages = mqttStream(ssc, {
      url,
      topics: readingsTopicFilter(config.topicPrefix),
      qos: 1,
      clientId: config.clientId,
      protocolVersion: config.mqttProtocol ?? (broker === undefined ? 5 : 4),
      decoder: decodeReading,
      onDecodeError: deadLetter(malformed),
    });
    const readings = messages.map((message): SensorReading => ({
      device: deviceOfTopic(message.topic),
      ...message.payload,
    }));
    const pipeline = buildSensorPipeline(readings, {
      window: config.window,
      slide,
      offlineAfter: config.offlineAfter,
      thresholds: config.thresholds,
    });
    pipeline.alerts
      .map(alertRecord)
      .repartition(1)
      .to(jsonLinesFileSink(alertsPrefix, { suffix: 'jsonl', writeEmptyBatches: false }));
    pipeline.events.foreachBatch((batch, time) => {
      const events = batch.collect();
      if (events.some((event) => event.type === 'alert')) alertBatches++;
      statistics.recordEvents(time, events);
    }, 'count events');
    pipeline.devices.foreachBatch((batch, time) => {
      statistics.recordDevices(time, batch.collect());
    }, 'count devices');
    ssc.addListener(
      statusLineListener(
        (line) => io.out(line),
        (batchInfo) => formatStatusLine(statistics.completeBatch(batchInfo, malformed.count)),
      ),
    );

    const t = config.thresholds;
    io.out('dstream IoT sensors');
    io.out(`  broker     ${broker === undefined ? url : `${url} (embedded; MQTT 3.1.1)`}`);
    io.out(
      config.simulate
        ? `  simulator  ${config.devices} devices, a reading every ${formatDuration(config.interval)} each, ${(config.malformedRate * 100).toFixed(1)} % malformed, seed ${config.seed}`
        : `  simulator  off: waiting for readings on ${readingsTopicFilter(config.topicPrefix)}`,
    );
    io.out(
      `  pipeline   batches of ${formatDuration(config.batchInterval)}; averages over ${formatDuration(config.window)} sliding every ${formatDuration(slide)}; offline after ${formatDuration(config.offlineAfter)}`,
    );
    io.out(
      `  alerts     temperature above ${t.temperatureHigh} °C (cleared below ${t.temperatureClear}), battery below ${t.batteryLow} % (cleared above ${t.batteryClear})`,
    );
    io.out(`  output     ${config.outputDir}`);
    io.out(stopHint(config.duration));

    error = await runUntilStopped(ssc, {
      duration: config.duration,
      io,
      stoppingMessage,
      startSource: () => {
        if (!config.simulate) return undefined;
        simulator = new SensorSimulator(
          url,
          {
            devices: config.devices,
            interval: config.interval,
            malformedRate: config.malformedRate,
            seed: config.seed,
            topicPrefix: config.topicPrefix,
          },
          (simulatorError) => io.err(`[warn] simulator: ${simulatorError.message}`),
        );
        simulator.start();
        return simulator;
      },
    });
  } finally {
    await simulator?.stop();
    await malformed.close();
    await broker?.close();
    await rm(checkpointDir, { recursive: true, force: true });
  }
  const summary = statistics.summary(malformed.count);
  io.out(formatSummary(summary, Date.now() - started, config.outputDir, alertBatches));
  return { summary, error };
}
