import { defineConfig, type Options } from 'tsup';

/**
 * The build every package shares (ESM for Node 20, declarations, source maps); a package's
 * `tsup.config.ts` passes only what differs, such as extra entries or Lua files to copy.
 */
export function packageBuild(options: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...options,
  });
}
