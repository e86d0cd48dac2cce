import { defineConfig } from 'vitest/config';

// Smoke tests of the real brokers: start them first with `pnpm brokers:up`. The JSON report
// is what the workspace test runner adds up into its closing line.
export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    // A cold broker (first Kafka group join, first Pub/Sub streaming pull) takes seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // The files share the brokers and one restarts Mosquitto: run them one at a time.
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
