// The Pub/Sub-to-files sample: pnpm --filter @dstream/example-pubsub-to-files start
// Options: node dist/main.js --help
import { runCommandLineMain } from '@dstream/example-support';
import { helpText, parseCommandLine } from './cli-options.js';
import { runPubsubToFiles } from './pubsub-to-files-app.js';

await runCommandLineMain({ parseCommandLine, helpText, run: runPubsubToFiles });
