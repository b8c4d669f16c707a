import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against source, not dist: each bare `@mqkit/<name>` maps to its src/index.ts.
const sourcePackages = [
  'core',
  'memory',
  'prisma',
  'mongodb',
  'prometheus',
  'kinesis',
  'opentelemetry',
  'cli',
  'dashboard',
];

export default defineConfig({
  resolve: {
    alias: [
      // The provider kit subpath of @mqkit/core.
      {
        find: /^@mqkit\/core\/provider$/,
        replacement: fileURLToPath(new URL('./packages/core/src/provider.ts', import.meta.url)),
      },
      {
        find: /^@mqkit\/cli\/actions$/,
        replacement: fileURLToPath(new URL('./packages/cli/src/actions.ts', import.meta.url)),
      },
      ...sourcePackages.map((name) => ({
        find: new RegExp(`^@mqkit/${name}$`),
        replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
      })),
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Generates the Prisma clients the @mqkit/prisma tests use (gitignored build output).
    globalSetup: ['packages/prisma/test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
