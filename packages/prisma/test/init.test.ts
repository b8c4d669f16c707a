// init() on the real databases: checks the tables, says how to create them, and applies the
// migrations when asked. Each test uses its own table names and drops only those.
import { BackendError, ConfigurationError } from '@mqkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaQueue } from '../src/index.js';
import { resolveApplyMigrations } from '../src/init.js';
import { isMissingSchemaError } from '../src/sql/missing-schema.js';
import { mariadb, postgres, postgresClient, probe } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('init() option and error classification (no I/O)', () => {
  it('rejects a non-boolean applyMigrations at construction, naming the field', () => {
    expect(() => resolveApplyMigrations('yes')).toThrow(
      /option "applyMigrations" must be a boolean \(got string\)/,
    );
    expect(resolveApplyMigrations(undefined)).toBe(false);
    expect(resolveApplyMigrations(true)).toBe(true);
  });

  it('tells a missing table from a connection failure', () => {
    const adapterError = (originalCode: string, kind: string) =>
      Object.assign(new Error('Raw query failed'), {
        meta: { driverAdapterError: { cause: { originalCode, kind } } },
      });
    expect(isMissingSchemaError(adapterError('42P01', 'TableDoesNotExist'))).toBe(true);
    expect(isMissingSchemaError(adapterError('1054', 'ColumnNotFound'))).toBe(true);
    expect(isMissingSchemaError(adapterError('08006', 'ConnectionClosed'))).toBe(false);
    expect(isMissingSchemaError(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(false);
  });
});

for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: ${db.label} init() tests — ${unreachable}`);

  describe.runIf(unreachable === undefined)(`${db.label} init()`, () => {
    const prisma = db.client({ max: 2 });
    const created: string[] = [];
    const fresh = (): string => {
      const table = `mqkit_init_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
      created.push(table, `${table}_dead_letters`);
      return table;
    };
    afterAll(async () => {
      for (const table of created) {
        const q = db.dialect === 'postgresql' ? `"${table}"` : `\`${table}\``;
        await prisma.$executeRawUnsafe(`DROP TABLE IF EXISTS ${q}`).catch(() => undefined);
        if (db.dialect === 'postgresql') {
          await prisma
            .$executeRawUnsafe(`DROP FUNCTION IF EXISTS "${table}_claim"`)
            .catch(() => undefined);
          for (const fn of ['_claim_in_order', '_ack'])
            await prisma
              .$executeRawUnsafe(`DROP FUNCTION IF EXISTS "${table}${fn}"`)
              .catch(() => undefined);
        }
      }
      await prisma.$disconnect();
    });

    it('rejects with ConfigurationError naming the tables and how to create them when they are missing', async () => {
      const table = fresh();
      const queue = createPrismaQueue({ prisma, table, logger: silent });
      const error = await queue.init().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).message).toContain(table);
      expect((error as ConfigurationError).message).toContain('applyMigrations(prisma)');
      expect((error as ConfigurationError).message).toContain(`migrations/${db.dialect}/`);
      // Nothing was created: a plain init() only checks.
      await expect(queue.init()).rejects.toBeInstanceOf(ConfigurationError);
    });

    it('with applyMigrations: true creates the tables, is idempotent, and the queue then works', async () => {
      const table = fresh();
      const queue = createPrismaQueue({ prisma, table, applyMigrations: true, logger: silent });
      await Promise.all([queue.init(), queue.init()]);
      await queue.init();
      // A second instance without the option now finds the tables.
      const checker = createPrismaQueue({ prisma, table, logger: silent });
      await checker.init();
      await queue.publish('init-q', { type: 't', id: 'm-1', payload: { ok: true } });
      const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(
        db.dialect === 'postgresql'
          ? `SELECT id FROM "${table}" WHERE queue = 'init-q'`
          : `SELECT id FROM \`${table}\` WHERE queue = 'init-q'`,
      );
      expect(rows.map((r) => r.id)).toEqual(['m-1']);
      await queue.close();
      await checker.close();
    });

    it.runIf(db.dialect === 'postgresql')(
      'rejects with ConfigurationError when migration 004 (the ack function) is missing, and accepts once it is applied',
      async () => {
        const table = fresh();
        const queue = createPrismaQueue({ prisma, table, applyMigrations: true, logger: silent });
        await queue.init();
        // A database migrated by an older release: 001 to 003 only.
        await prisma.$executeRawUnsafe(`DROP FUNCTION "${table}_ack"(text, text[], text[])`);
        const checker = createPrismaQueue({ prisma, table, logger: silent });
        const error = await checker.init().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConfigurationError);
        expect((error as ConfigurationError).message).toContain('applyMigrations(prisma)');
        const upgrader = createPrismaQueue({
          prisma,
          table,
          applyMigrations: true,
          logger: silent,
        });
        await upgrader.init();
        await createPrismaQueue({ prisma, table, logger: silent }).init();
        await Promise.all([queue.close(), checker.close(), upgrader.close()]);
      },
    );

    it.runIf(db.dialect === 'postgresql')(
      'rejects with BackendError, not ConfigurationError, when the database is unreachable',
      async () => {
        // A real client on a port nothing listens on (connection refused).
        const offline = postgresClient('postgresql://postgres@127.0.0.1:1/test', 1);
        const queue = createPrismaQueue({ prisma: offline, logger: silent });
        const error = await queue.init().then(
          () => undefined,
          (e: unknown) => e,
        );
        await offline.$disconnect().catch(() => undefined);
        expect(error).toBeInstanceOf(BackendError);
        expect((error as BackendError).message).toMatch(
          /^\[@mqkit\/prisma\] init\(\) \(checking the tables\) failed: /,
        );
      },
    );
  });
}
