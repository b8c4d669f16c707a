import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/actions.ts', 'src/bin.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/actions.ts'] },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The Lua scripts ship as files next to the bundles, where their loaders' relative URLs point.
  onSuccess: 'cp src/actions/kinesis/*.lua dist/',
});
