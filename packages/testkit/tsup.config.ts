import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/vitest.ts', 'src/node-test.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['vitest', '@dstream/core'],
  // Keep `node:test`: it has no unprefixed name.
  removeNodeProtocol: false,
});
