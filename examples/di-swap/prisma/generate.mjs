// Generates the example's two PrismaClients (PostgreSQL and MariaDB) into di-swap/generated/,
// following docs/providers/prisma.md: a `prisma-client` generator emitting ESM with `.js`
// imports, plus the models @mqkit/prisma ships (node_modules/@mqkit/prisma/prisma/*.prisma).
// Generated code is build output (gitignored); `prepare` and the example test run this script.
// Offline-safe: CHECKPOINT_DISABLE stops telemetry, PRISMA_SCHEMA_ENGINE_BINARY the engine
// download `generate` does not need. Skips a client whose schema is unchanged.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(exampleDir, '..', 'package.json'));
const prismaCli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
const modelsDir = join(dirname(require.resolve('@mqkit/prisma/package.json')), 'prisma');

for (const dialect of ['postgresql', 'mysql']) {
  const outDir = join(exampleDir, 'generated', dialect);
  const schemaPath = join(outDir, 'schema.prisma');
  const schema = `generator client {
  provider            = "prisma-client"
  output              = "./client"
  moduleFormat        = "esm"
  importFileExtension = "js"
}

datasource db {
  provider = "${dialect}"
}

${readFileSync(join(modelsDir, `${dialect}.prisma`), 'utf8')}`;
  if (
    existsSync(join(outDir, 'client', 'client.ts')) &&
    existsSync(schemaPath) &&
    readFileSync(schemaPath, 'utf8') === schema
  )
    continue;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(schemaPath, schema);
  const run = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schemaPath], {
    cwd: exampleDir,
    encoding: 'utf8',
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: '1',
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    throw new Error(`prisma generate failed for ${dialect} (exit ${run.status})`);
  }
}
