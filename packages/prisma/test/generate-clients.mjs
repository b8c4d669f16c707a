// Generates the two Prisma clients the tests use (PostgreSQL and MySQL/MariaDB) from the model
// snippets shipped in ../prisma/, so the tests also prove the snippets are valid schema.
// Output is build output (gitignored). Offline: Prisma 7's generate needs no schema engine, so
// PRISMA_SCHEMA_ENGINE_BINARY=/bin/true stops the download attempt; CHECKPOINT_DISABLE stops
// telemetry. Skips a client whose schema did not change since the last run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const require = createRequire(join(packageDir, 'package.json'));
const prismaCli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');

const targets = [
  { dialect: 'postgresql', provider: 'postgresql' },
  { dialect: 'mysql', provider: 'mysql' },
];

for (const { dialect, provider } of targets) {
  const outDir = join(here, 'generated', dialect);
  const schemaPath = join(outDir, 'schema.prisma');
  const models = readFileSync(join(packageDir, 'prisma', `${dialect}.prisma`), 'utf8');
  const schema = `generator client {
  provider               = "prisma-client"
  output                 = "./client"
  moduleFormat           = "esm"
  importFileExtension    = "js"
}

datasource db {
  provider = "${provider}"
}

${models}`;
  if (
    existsSync(schemaPath) &&
    readFileSync(schemaPath, 'utf8') === schema &&
    existsSync(join(outDir, 'client', 'client.ts'))
  )
    continue;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(schemaPath, schema);
  const run = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schemaPath], {
    cwd: packageDir,
    encoding: 'utf8',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    throw new Error(`prisma generate failed for ${dialect} (exit ${run.status})`);
  }
}
