export {
  buildApp,
  describeRun,
  killApp,
  startApp,
  type AppProcess,
  type StartAppOptions,
} from './app-process.js';
