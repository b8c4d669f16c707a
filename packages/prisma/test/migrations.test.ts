// Migrations on the real databases: a table name cannot smuggle SQL into the shipped DDL, and
// replicas that start together can all apply the migrations at once.
import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '@mqkit/core';
import * as mariadbDriver from 'mariadb';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS, migrationStatements } from '../src/index.js';
import { mariadb, postgres, probe, type TestDatabase } from './databases.js';

const suffix = (): string => randomBytes(4).toString('hex');

/**
 * Runs a DDL script the way `psql -f` (without ON_ERROR_STOP) or `mariadb --force < file` does:
 * statement by statement, carrying on after an error. Splitting on every `;` stands in for the
 * CLIs' lexers, which a quote smuggled into a name desynchronises the same way.
 */
async function runScript(db: TestDatabase, sql: string): Promise<void> {
  const pieces = sql.split(';').map((s) => s.trim());
  if (db.dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const piece of pieces) if (piece) await client.query(piece).catch(() => undefined);
    } finally {
      await client.end();
    }
    return;
  }
  const url = new URL(db.url);
  const conn = await mariadbDriver.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password) || undefined,
    database: url.pathname.slice(1),
  });
  try {
    for (const piece of pieces) if (piece) await conn.query(piece).catch(() => undefined);
  } finally {
    await conn.end();
  }
}

for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: ${db.label} migration tests — ${unreachable}`);

  describe.runIf(unreachable === undefined)(`${db.label} migrations`, () => {
    const q = db.dialect === 'postgresql' ? '"' : '`';
    const created: string[] = [];
    const clients: ReturnType<TestDatabase['client']>[] = [];
    afterAll(async () => {
      // Only the tables this file created (unique names), never shared ones.
      const admin = db.client({ max: 1 });
      for (const table of created) {
        if (db.dialect === 'postgresql')
          await admin.$executeRawUnsafe(`DROP TABLE IF EXISTS "${table}" CASCADE`);
        else await admin.$executeRawUnsafe(`DROP TABLE IF EXISTS \`${table}\``);
        if (db.dialect === 'postgresql' && !table.startsWith('canary'))
          await admin
            .$executeRawUnsafe(`DROP FUNCTION IF EXISTS "${table}_claim"`)
            .catch(() => undefined);
      }
      await admin.$disconnect();
      await Promise.all(clients.map((c) => c.$disconnect()));
    });

    const tableExists = async (name: string): Promise<boolean> => {
      const admin = db.client({ max: 1 });
      clients.push(admin);
      const rows = await admin.$queryRawUnsafe<unknown[]>(
        db.dialect === 'postgresql'
          ? 'SELECT 1 FROM pg_tables WHERE tablename = $1'
          : 'SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
        name,
      );
      return rows.length === 1;
    };

    it('a malicious table name is refused by migrationStatements, and the canary table survives', async () => {
      const canary = `canary_${suffix()}`;
      created.push(canary);
      await runScript(db, `CREATE TABLE ${q}${canary}${q} (id int)`);
      const evil = [
        `x${q}; DROP TABLE ${canary}; --`,
        `x${q}${q}; DROP TABLE ${canary}; --`,
        `x${q} (id int); DROP TABLE ${canary}; --`,
      ];
      for (const table of evil) {
        for (const args of [
          [table, undefined],
          ['fine', table],
        ] as const) {
          let statements: string[] | undefined;
          let refused: unknown;
          try {
            statements = await migrationStatements(db.dialect, '001_init.sql', ...args);
          } catch (error) {
            refused = error;
          }
          // Apply whatever came back, as the guide's `psql -f` would: it must not drop the canary.
          if (statements !== undefined) await runScript(db, `${statements.join(';\n')};`);
          expect(await tableExists(canary)).toBe(true);
          expect(refused).toBeInstanceOf(ConfigurationError);
          expect(String((refused as Error).message)).toMatch(/letters, digits and "_"/);
        }
      }
    });

    it('migrationStatements refuses an unknown dialect or file before reading anything', async () => {
      await expect(
        migrationStatements('../../package.json' as never, '001_init.sql'),
      ).rejects.toBeInstanceOf(ConfigurationError);
      await expect(
        migrationStatements(db.dialect, '../../package.json' as never),
      ).rejects.toBeInstanceOf(ConfigurationError);
      await expect(
        migrationStatements(db.dialect, '001_init.sql', 'same', 'same'),
      ).rejects.toBeInstanceOf(ConfigurationError);
    });

    it('6 replicas applying the migrations at once all succeed, round after round', async () => {
      const replicas = Array.from({ length: 6 }, () => {
        const c = db.client({ max: 2 });
        clients.push(c);
        return c;
      });
      for (let round = 0; round < 3; round++) {
        // A fresh table each round, so every CREATE really runs concurrently.
        const table = `mig_${suffix()}`;
        created.push(table, `${table}_dead_letters`);
        const results = await Promise.allSettled(
          replicas.map((prisma) => applyMigrations(prisma, { table })),
        );
        const failures = results.flatMap((r) =>
          r.status === 'rejected' ? [String(r.reason).split('\n')[0]] : [],
        );
        expect(failures).toEqual([]);
        // And a second, concurrent start-up on the existing tables is also fine.
        const again = await Promise.allSettled(
          replicas.map((prisma) => applyMigrations(prisma, { table })),
        );
        expect(again.filter((r) => r.status === 'rejected')).toHaveLength(0);
      }
      expect(MIGRATIONS.length).toBeGreaterThanOrEqual(2);
    }, 120_000);
  });
}
