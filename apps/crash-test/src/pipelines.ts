import type { CrashPipeline } from './crash-pipeline.js';
import { filesStatefulCount } from './pipelines/files-stateful-count.js';

/** Every pipeline the crash test knows, by name. */
export const pipelines: readonly CrashPipeline[] = [filesStatefulCount];

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
