import { join } from 'node:path';
import { pipelineNamed } from './pipelines.js';

const [name, directory] = process.argv.slice(2);
if (name === undefined || directory === undefined) {
  console.error('usage: child.js <pipeline> <workspace directory>');
  process.exit(2);
}
await pipelineNamed(name).run({ directory, checkpointDir: join(directory, 'checkpoint') });
