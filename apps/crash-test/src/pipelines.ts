import type { CrashPipeline } from './crash-pipeline.js';
import { filesStatefulCount } from './pipelines/files-stateful-count.js';
import { kafkaExactlyOnce } from './pipelines/kafka-exactly-once.js';
import { mqttDeviceState } from './pipelines/mqtt-device-state.js';
import { mqttWriteAheadLog } from './pipelines/mqtt-write-ahead-log.js';

/** Every pipeline the crash test knows, by name. */
export const pipelines: readonly CrashPipeline[] = [
  filesStatefulCount,
  kafkaExactlyOnce,
  mqttWriteAheadLog,
  mqttDeviceState,
];

/** The pipeline called `name`, or an error listing the known ones. */
export function pipelineNamed(name: string): CrashPipeline {
  const pipeline = pipelines.find((candidate) => candidate.name === name);
  if (pipeline === undefined) {
    throw new Error(
      `Unknown pipeline ${JSON.stringify(name)}; known pipelines: ${pipelines.map((p) => p.name).join(', ')}`,
    );
  }
  return pipeline;
}
