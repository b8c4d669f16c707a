import { createPrismaQueue } from '@mqkit/prisma';
import { describe } from 'vitest';
import { mariadb as db, probe } from '../../packages/prisma/test/databases.js';
import { defineConformanceSuite } from './suite.js';

// Runs on the MariaDB of the development machines (MQKIT_MARIADB_URL overrides); probe()
// also applies the migrations. Every queue instance shares one user-owned PrismaClient (the
// suite checks close() leaves it usable) and polls (MariaDB has no LISTEN).
const unreachable = await probe(db);
if (unreachable) console.log(`SKIPPED: prisma/mariadb conformance — ${unreachable}`);

const prisma = db.client({ max: 10 });

describe.runIf(unreachable === undefined)(db.label, () => {
  defineConformanceSuite({
    name: db.label,
    create: (options) => createPrismaQueue({ ...options, prisma }),
    async userClientOpen() {
      await prisma.$queryRawUnsafe('SELECT 1');
      return true;
    },
    async teardown() {
      await prisma.$disconnect();
    },
    timeScale: 2,
  });
});
