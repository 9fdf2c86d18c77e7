import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Nest resolves constructor dependencies and TypeORM column types from
// decorator metadata, which esbuild does not emit; SWC does.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['test/**/*.spec.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
