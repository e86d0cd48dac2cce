export { processConsole, type AppConsole } from './app-console.js';
export {
  BatchTimings,
  formatProcessing,
  formatRanFor,
  formatStatusLine,
  type BatchOutcome,
  type TimingSummary,
} from './batch-timings.js';
export { clockTime } from './clock-time.js';
export { runCommandLineMain, isUsageError, type CommandLineApp } from './command-line-main.js';
export {
  CommandLineOptions,
  type CommandLine,
  type Environment,
  type OptionSpec,
  type OptionText,
} from './command-line-options.js';
export { consoleLogger } from './console-logger.js';
export { parseDuration } from './duration-option.js';
export { formatHelp } from './help-text.js';
export { Increments } from './increments.js';
export { MalformedMessageLog } from './malformed-message-log.js';
export {
  runUntilStopped,
  stopHint,
  type RunUntilStoppedOptions,
  type StoppableSource,
} from './run-until-stopped.js';
export { SeededRandom } from './seeded-random.js';
export { statusLineListener } from './status-line-listener.js';
