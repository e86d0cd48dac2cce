import { testConfig } from '../../vitest.shared.js';

// Smoke tests build the app and run it as a process against a broker: generous hook timeouts.
export default testConfig({ testTimeout: 90_000, hookTimeout: 90_000, fileParallelism: false });
