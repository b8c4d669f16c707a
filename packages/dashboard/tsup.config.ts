import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The UI's stylesheet and script are prebuilt static files, shipped next to the bundle where
  // src/assets.ts's relative URLs point (users run no bundler).
  onSuccess: 'mkdir -p dist/assets && cp src/assets/*.css src/assets/*.js dist/assets/',
});
