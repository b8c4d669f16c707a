import { createPrismaQueue } from '@mqkit/prisma';
import { describe } from 'vitest';
import { mariadb as db, mariadbClient, probe } from '../../packages/prisma/test/databases.js';
import { defineConformanceSuite } from './suite.js';

// Runs on the MariaDB of the development machines (MQKIT_MARIADB_URL overrides); probe()
// also applies the migrations. Every queue instance shares one user-owned PrismaClient (the
// suite checks close() leaves it usable) and polls (MariaDB has no LISTEN).
const unreachable = await probe(db);
if (unreachable) console.log(`SKIPPED: prisma/mariadb conformance — ${unreachable}`);

const prisma = db.client({ max: 10 });
// Nothing listens on port 1: the health() case's unreachable database.
const downPrisma = mariadbClient(
  'mariadb://root@127.0.0.1:1/test?connectionLimit=1&connectTimeout=500&acquireTimeout=1000',
);

describe.runIf(unreachable === undefined)(db.label, () => {
  defineConformanceSuite({
    name: db.label,
    create: (options) => createPrismaQueue({ ...options, prisma }),
    async userClientOpen() {
      await prisma.$queryRawUnsafe('SELECT 1');
      return true;
    },
    createDown: (options) =>
      createPrismaQueue({ ...options, prisma: downPrisma, dialect: 'mysql' }),
    async teardown() {
      await prisma.$disconnect();
      await downPrisma.$disconnect().catch(() => undefined);
    },
    timeScale: 2,
  });
});
