// The IoT sensors sample: `pnpm start` (from the repository root, `npm start`).
// Options: node dist/main.js --help
import { runCommandLineMain } from '@dstream/example-support';
import { helpText, parseCommandLine } from './cli-options.js';
import { runIotSensors } from './iot-sensors-app.js';

await runCommandLineMain({ parseCommandLine, helpText, run: runIotSensors });
