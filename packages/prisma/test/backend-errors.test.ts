// Driver errors never escape @mqkit/prisma raw: a missing table and a database that is down both
// surface as BackendError with the driver's error as cause, credentials redacted, and a hint to
// run the migrations when a table is missing.
import { BackendError } from '@mqkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaQueue } from '../src/index.js';
import { mariadb, postgres, postgresClient, probe, type TestDatabase } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: ${db.label} backend-error tests — ${unreachable}`);

  describe.runIf(unreachable === undefined)(`${db.label} backend errors`, () => {
    const clients: ReturnType<TestDatabase['client']>[] = [];
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.$disconnect()));
    });

    it('a missing table gives BackendError with the cause and a migration hint, on publish, count and list', async () => {
      const prisma = db.client({ max: 1 });
      clients.push(prisma);
      // A table nobody created (and nobody will): never dropped, never shared.
      const queue = createPrismaQueue({ prisma, table: 'mqkit_never_migrated', logger: silent });
      const calls = [
        () => queue.publish('jobs', { type: 't', payload: 1 }),
        () => queue.deadLetters.count('jobs'),
        () => queue.deadLetters.list('jobs'),
      ];
      for (const call of calls) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BackendError);
        expect((error as BackendError).message).toMatch(/^\[@mqkit\/prisma\] /);
        expect((error as BackendError).message).toContain('run applyMigrations');
        expect((error as BackendError).cause).toBeDefined();
        expect((error as BackendError).cause).not.toBeInstanceOf(BackendError);
      }
      await queue.close();
    });
  });
}

describe('prisma backend errors without a database', () => {
  it('a database that is down gives BackendError with the password redacted', async () => {
    // Nothing listens on port 1; the password must not appear in what the caller sees.
    const prisma = postgresClient('postgresql://app:hunter2@127.0.0.1:1/test', 1);
    const queue = createPrismaQueue({ prisma, logger: silent });
    try {
      const error = await queue.publish('jobs', { type: 't', payload: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).cause).toBeDefined();
      expect((error as BackendError).message).not.toContain('hunter2');
      const listed = await queue.deadLetters.list('jobs').catch((e: unknown) => e);
      expect(listed).toBeInstanceOf(BackendError);
    } finally {
      await queue.close();
      await prisma.$disconnect().catch(() => undefined);
    }
  });
});
