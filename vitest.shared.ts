import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * The vitest settings every package shares: tests in `test/`, and a JSON report that the
 * workspace test runner adds up into one closing line.
 */
export function testConfig(overrides: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 20_000,
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest-report.json' },
      ...overrides,
    },
  });
}
