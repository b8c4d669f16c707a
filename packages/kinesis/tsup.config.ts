import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The Lua scripts ship as files next to dist/index.js, where their loaders' relative URLs point.
  onSuccess:
    'cp src/lease/scripts/*.lua src/dead-letter/scripts/*.lua src/instances/scripts/*.lua src/rebalance/scripts/*.lua dist/',
});
