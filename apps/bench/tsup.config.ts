import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Loaded from the workspace at run time (dist/ is as deep as src/): bundled, its command-line
  // entry point would mistake the bundle for itself.
  external: [/infra\/test-support\/brokers\.mjs$/],
});
