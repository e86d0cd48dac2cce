import { join } from 'node:path';
import { jsonLinesFileSink } from '@dstream/file';
import type { CrashPipeline, PipelineOutcome } from '../crash-pipeline.js';
import { readingId } from '../device-readings.js';
import {
  allIdsWritten,
  inputIds,
  mqttReadingsInput,
  outputDir,
  readOutput,
  runMqttPipeline,
} from './mqtt-readings.js';

/**
 * (c) MQTT QoS 1 reliable receiver with the write-ahead log → idempotent JSON-lines sink:
 * nothing lost. A message is acknowledged to the broker only once the block holding it is in
 * the write-ahead log; a crash before that leaves it with the broker, which delivers it again,
 * and after it the log gives it back on recovery. A message whose block was logged but whose
 * acknowledgement never reached the broker comes twice: duplicates are reported, and allowed.
 */
export const mqttWriteAheadLog: CrashPipeline = {
  name: 'mqtt',
  description: 'MQTT QoS 1 reliable receiver + write-ahead log → idempotent JSON-lines sink',
  guarantee: 'at-least-once',
  brokers: ['mosquitto'],
  ...mqttReadingsInput,

  isComplete: allIdsWritten,

  async collect(workspace): Promise<PipelineOutcome> {
    return {
      input: inputIds(),
      output: await readOutput<string>(workspace, 'records'),
      checks: [],
    };
  },

  async run(workspace) {
    await runMqttPipeline(workspace, (readings) => {
      readings
        .map((message) => readingId(message.payload))
        .to(jsonLinesFileSink<string>(join(outputDir(workspace), 'records')));
    });
  },
};
