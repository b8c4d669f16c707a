import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The fast suites `pnpm mutation` runs against every mutant: core and memory unit tests, the
// consume-loop fault tests, the memory conformance suite and the SQL providers' pure parts.
// No service is needed, so a mutant's result never depends on a shared server.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'packages/core/test/**/*.test.ts',
      'packages/memory/test/**/*.test.ts',
      'packages/prisma/test/pure/**/*.test.ts',
      'test/consume-loop.test.ts',
      'test/conformance/memory.test.ts',
    ],
    globalSetup: [],
    reporters: ['default'],
    outputFile: {},
  },
});
