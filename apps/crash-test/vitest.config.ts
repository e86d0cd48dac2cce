import { testConfig } from '../../vitest.shared.js';

export default testConfig({ testTimeout: 240_000, fileParallelism: false });
