// The Kafka clickstream sample: pnpm --filter @dstream/example-kafka-clickstream start
// Options: node dist/main.js --help
import { runCommandLineMain } from '@dstream/example-support';
import { helpText, parseCommandLine } from './cli-options.js';
import { runClickstream } from './clickstream-app.js';

await runCommandLineMain({ parseCommandLine, helpText, run: runClickstream });
