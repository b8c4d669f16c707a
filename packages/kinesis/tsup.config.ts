import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Lua scripts are inlined as strings: they live as readable files beside the code that loads them.
  loader: { '.lua': 'text' },
});
