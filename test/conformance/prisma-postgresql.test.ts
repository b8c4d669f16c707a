import { createPrismaQueue } from '@mqkit/prisma';
import { describe } from 'vitest';
import { postgres as db, postgresClient, probe } from '../../packages/prisma/test/databases.js';
import { defineConformanceSuite } from './suite.js';

// Runs on the PostgreSQL of the development machines (MQKIT_POSTGRES_URL overrides); probe()
// also applies the migrations. Every queue instance shares one user-owned PrismaClient (the
// suite checks close() leaves it usable) and wakes through LISTEN/NOTIFY.
const unreachable = await probe(db);
if (unreachable) console.log(`SKIPPED: prisma/postgresql conformance — ${unreachable}`);

const prisma = db.client({ max: 10 });
// Nothing listens on port 1: the health() case's unreachable database.
const downPrisma = postgresClient('postgresql://postgres@127.0.0.1:1/test', 1);

describe.runIf(unreachable === undefined)(db.label, () => {
  defineConformanceSuite({
    name: db.label,
    create: (options) =>
      createPrismaQueue({ ...options, prisma, listen: { connectionString: db.url } }),
    async userClientOpen() {
      await prisma.$queryRawUnsafe('SELECT 1');
      return true;
    },
    createDown: (options) =>
      createPrismaQueue({ ...options, prisma: downPrisma, dialect: 'postgresql' }),
    async teardown() {
      await prisma.$disconnect();
      await downPrisma.$disconnect().catch(() => undefined);
    },
    timeScale: 2,
  });
});
