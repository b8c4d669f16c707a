// Provider-specific behaviour on the real databases: SKIP LOCKED contention, lease fencing,
// custom (schema-qualified) tables through applyMigrations, the claim plan, LISTEN/NOTIFY.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, createPrismaQueue } from '../src/index.js';
import { tablesFor } from '../src/sql/identifiers.js';
import { mysqlClaimSql, mysqlStore } from '../src/sql/mysql.js';
import { postgresqlStore } from '../src/sql/postgresql.js';
import type { SqlStore } from '../src/sql/store.js';
import { mariadb, postgres, probe, type TestDatabase, uniqueQueue } from './databases.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: ${db.label} provider tests — ${unreachable}`);

  describe.runIf(unreachable === undefined)(`${db.label} provider`, () => {
    const clients: ReturnType<TestDatabase['client']>[] = [];
    const client = (max = 4) => {
      const c = db.client({ max });
      clients.push(c);
      return c;
    };
    const storeFor = (c: ReturnType<TestDatabase['client']>): SqlStore => {
      const tables = tablesFor('mqkit_messages', 'mqkit_messages_dead_letters', db.dialect);
      return db.dialect === 'postgresql' ? postgresqlStore(c, tables) : mysqlStore(c, tables);
    };
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.$disconnect()));
    });

    it('8 concurrent claimers with SKIP LOCKED claim each of 1,000 rows exactly once, and all get work', async () => {
      const queueName = uniqueQueue('contention');
      const queue = createPrismaQueue({ prisma: client(), logger: silent });
      await queue.publish(
        queueName,
        Array.from({ length: 1_000 }, (_, i) => ({ type: 't', payload: i })),
      );
      const prismas = Array.from({ length: 8 }, () => client(1));
      // Every claimer's connection is open before any claims: on a loaded machine a claimer still
      // connecting could otherwise find the queue drained by the others.
      await Promise.all(prismas.map((p) => p.$queryRawUnsafe('SELECT 1')));
      const claimers = prismas.map((p) => storeFor(p));
      const seen = new Map<string, number>();
      const perClaimer = claimers.map(() => 0);
      await Promise.all(
        claimers.map(async (store, k) => {
          for (let empty = 0; empty < 3; ) {
            const rows = await store.claim(queueName, 50, 30_000, randomUUID());
            if (rows.length === 0) {
              // An empty claim under contention is not an empty queue: look again.
              empty++;
              await sleep(5);
              continue;
            }
            perClaimer[k] = (perClaimer[k] as number) + rows.length;
            for (const row of rows) seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
          }
        }),
      );
      expect(seen.size).toBe(1_000);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      expect(perClaimer.every((n) => n > 0)).toBe(true);
    });

    it('a stale lease token can neither acknowledge nor extend; the new owner can', async () => {
      const queueName = uniqueQueue('fencing');
      const queue = createPrismaQueue({ prisma: client(), logger: silent });
      const {
        ids: [id],
      } = await queue.publish(queueName, { type: 't', payload: 1 });
      const store = storeFor(client());
      const first = await store.claim(queueName, 1, 200, 'token-a');
      expect(first.map((r) => [r.id, Number(r.attempt)])).toEqual([[id, 1]]);
      expect(await store.claim(queueName, 1, 200, 'token-x')).toEqual([]); // still leased
      await sleep(400); // lease expired: reclaimable by the ordinary claim
      const second = await store.claim(queueName, 1, 30_000, 'token-b');
      expect(second.map((r) => [r.id, Number(r.attempt)])).toEqual([[id, 2]]);
      const stale = { id: id as string, token: 'token-a' };
      expect((await store.extend(queueName, [stale], 30_000)).size).toBe(0);
      await store.ack(queueName, [stale]);
      await store.retry(queueName, [{ ...stale, delayMs: 0, error: '{}' }]);
      expect(await store.claim(queueName, 1, 30_000, 'token-c')).toEqual([]); // still b's
      await store.ack(queueName, [{ id: id as string, token: 'token-b' }]);
      await sleep(1);
      expect(await store.claim(queueName, 1, 30_000, 'token-d')).toEqual([]);
    });

    it('a payload the serializer cannot read is dead-lettered without blocking the queue', async () => {
      const prisma = client();
      const queueName = uniqueQueue('poison');
      const queue = createPrismaQueue({ prisma, logger: silent });
      await queue.publish(queueName, { type: 'ok', payload: 1 });
      const now = db.dialect === 'postgresql' ? 'now()' : 'UTC_TIMESTAMP(3)';
      const p = db.dialect === 'postgresql' ? ['$1', '$2'] : ['?', '?'];
      await prisma.$executeRawUnsafe(
        `INSERT INTO mqkit_messages (queue, id, type, payload, created_at, run_at) VALUES (${p[0]}, ${p[1]}, 'bad', '{not json', ${now}, ${now})`,
        queueName,
        'poison-1',
      );
      const handled: string[] = [];
      const consumer = queue.consume(queueName, async (ms) => {
        for (const m of ms) handled.push(m.type);
      });
      for (
        let i = 0;
        i < 200 && (handled.length === 0 || (await queue.deadLetters.count(queueName)) === 0);
        i++
      )
        await sleep(25);
      await consumer.stop();
      expect(handled).toEqual(['ok']);
      const dead = await queue.deadLetters.inspect(queueName, 'poison-1');
      expect(dead?.message.payload).toBe('{not json');
      // One rule on every provider (decoded once in the kit): a SerializationError naming the serializer.
      expect(dead?.error).toMatchObject({
        name: 'SerializationError',
        code: 'MQKIT_SERIALIZATION',
      });
      expect(dead?.error.message).toContain('serializer "json"');
    });

    it('a handler gets the stored created and due times to the millisecond (claims read them as epoch milliseconds)', async () => {
      const queueName = uniqueQueue('times');
      const prisma = client();
      const queue = createPrismaQueue({ prisma, logger: silent });
      await queue.publish(queueName, [
        { type: 't', payload: 'now' },
        { type: 't', payload: 'later', runAt: new Date(Date.now() + 150) },
      ]);
      // Read before the claim moves run_at to the lease's end; the driver's own Date conversion.
      const sql = `SELECT payload, created_at, run_at FROM mqkit_messages WHERE queue = ${db.dialect === 'postgresql' ? '$1' : '?'}`;
      const stored = new Map(
        (
          await prisma.$queryRawUnsafe<
            { payload: string; created_at: Date | string; run_at: Date | string }[]
          >(sql, queueName)
        ).map((r) => [JSON.parse(r.payload), [new Date(r.created_at), new Date(r.run_at)]]),
      );
      const seen = new Map<unknown, [Date, Date]>();
      const consumer = queue.consume(queueName, async (ms) => {
        for (const m of ms) seen.set(m.payload, [m.createdAt, m.runAt]);
      });
      for (let i = 0; i < 100 && seen.size < 2; i++) await sleep(20);
      await consumer.stop();
      await queue.close();
      expect(seen).toEqual(stored);
      const [createdAt, runAt] = stored.get('later') as [Date, Date];
      expect(runAt.getTime()).toBeGreaterThan(createdAt.getTime());
    });

    it('leases come from the database clock: a host clock jump neither stretches nor shortens them', async () => {
      const queueName = uniqueQueue('clock');
      const prisma = client();
      const queue = createPrismaQueue({ prisma, logger: silent });
      await queue.publish(queueName, { type: 't', payload: 1 });
      const realNow = Date.now;
      Date.now = () => realNow() + 86_400_000; // the host thinks it is tomorrow
      try {
        await storeFor(prisma).claim(queueName, 1, 30_000, 'clock-token');
      } finally {
        Date.now = realNow;
      }
      const sql =
        db.dialect === 'postgresql'
          ? 'SELECT extract(epoch FROM lease_until - now())::float8 AS s FROM mqkit_messages WHERE queue = $1'
          : 'SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), lease_until) / 1e6 AS s FROM mqkit_messages WHERE queue = ?';
      const [row] = await prisma.$queryRawUnsafe<{ s: number | string }[]>(sql, queueName);
      expect(Number(row?.s)).toBeGreaterThan(25);
      expect(Number(row?.s)).toBeLessThanOrEqual(30);
    });

    it('applyMigrations is idempotent and custom table names work end to end', async () => {
      const prisma = client();
      const suffix = Math.random().toString(36).slice(2, 8);
      let table = `custom_${suffix}`;
      if (db.dialect === 'postgresql') {
        await prisma.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS "mqkit_test_${suffix}"`);
        table = `mqkit_test_${suffix}.work`;
      }
      await applyMigrations(prisma, { table });
      await applyMigrations(prisma, { table });
      const queue = createPrismaQueue({ prisma, table, logger: silent });
      const queueName = uniqueQueue('custom');
      await queue.publish(queueName, [
        { type: 'ok', payload: 1 },
        { type: 'bad', payload: 2 },
      ]);
      const handled: string[] = [];
      const consumer = queue.consume(
        queueName,
        async ([m]) => {
          handled.push(m?.type ?? '');
          if (m?.type === 'bad') throw new Error('nope');
        },
        { retry: { maxAttempts: 1 } },
      );
      for (let i = 0; i < 200 && (await queue.deadLetters.count(queueName)) === 0; i++)
        await sleep(25);
      await consumer.stop();
      expect(handled.sort()).toEqual(['bad', 'ok']);
      const [dead] = await queue.deadLetters.list(queueName);
      expect(dead?.message.type).toBe('bad');
      expect(dead?.error.message).toBe('nope');
      if (db.dialect === 'postgresql')
        await prisma.$executeRawUnsafe(`DROP SCHEMA "mqkit_test_${suffix}" CASCADE`);
      else {
        await prisma.$executeRawUnsafe(`DROP TABLE \`${table}\``);
        await prisma.$executeRawUnsafe(`DROP TABLE \`${table}_dead_letters\``);
      }
    });

    if (db.dialect === 'mysql') {
      it('the MariaDB claim reads the claim index in order (no filesort that would lock every ready row)', async () => {
        const prisma = client();
        const tables = tablesFor('mqkit_messages', 'mqkit_messages_dead_letters', 'mysql');
        const plan = await prisma.$queryRawUnsafe<
          { table: string; key: string | null; Extra: string | null }[]
        >(`EXPLAIN ${mysqlClaimSql(tables)}`, 'any', 50);
        // The outer row is the claim itself; the head-of-key subquery uses the key index.
        expect(plan[0]?.key).toBe('mqkit_messages_order_idx');
        expect(plan[0]?.Extra ?? '').not.toMatch(/filesort/i);
        const subquery = plan.find((row) => row.table === 'e');
        expect(subquery?.key).toBe('mqkit_messages_key_idx');
      });
    }

    if (db.dialect === 'postgresql') {
      it('the LISTEN connection reconnects by itself after the server drops it', async () => {
        const queueName = uniqueQueue('relisten');
        const admin = client();
        const consumerQueue = createPrismaQueue({
          prisma: client(),
          logger: silent,
          listen: { connectionString: db.url },
        });
        const publisher = createPrismaQueue({ prisma: client(), logger: silent });
        const listenPids = async () =>
          (
            await admin.$queryRawUnsafe<{ pid: number }[]>(
              "SELECT pid FROM pg_stat_activity WHERE application_name = 'mqkit-listen'",
            )
          ).map((r) => r.pid);
        const others = new Set(await listenPids());
        let delivered = 0;
        consumerQueue.consume(
          queueName,
          async () => {
            delivered++;
          },
          { minPollIntervalMs: 5_000, pollIntervalMs: 10_000 },
        );
        await sleep(300);
        // Only the connection this consumer opened (other test files may be listening too).
        const ours = (await listenPids()).filter((pid) => !others.has(pid));
        expect(ours).toHaveLength(1);
        await admin.$queryRawUnsafe('SELECT pg_terminate_backend($1)::text AS ok', ours[0]);
        await sleep(1_000);
        const sentAt = Date.now();
        await publisher.publish(queueName, { type: 't', payload: 1 });
        for (let i = 0; i < 80 && delivered === 0; i++) await sleep(25);
        expect(delivered).toBe(1);
        expect(Date.now() - sentAt).toBeLessThan(2_500);
        await consumerQueue.close();
        await publisher.close();
      });

      it('LISTEN/NOTIFY wakes an idle consumer at once; the notification carries only the queue name', async () => {
        const queueName = uniqueQueue('notify');
        const listener = new pg.Client({ connectionString: db.url });
        await listener.connect();
        const payloads: string[] = [];
        listener.on('notification', (n) => payloads.push(n.payload ?? ''));
        await listener.query('LISTEN "mqkit_mqkit_messages"');
        const consumerQueue = createPrismaQueue({
          prisma: client(),
          logger: silent,
          listen: { connectionString: db.url },
        });
        const publisher = createPrismaQueue({ prisma: client(), logger: silent });
        let startedAt = 0;
        const delivered = new Promise<void>((resolve) => {
          // Polling alone would take ≥ 5 s here: only a wake-up can deliver within the bound below.
          consumerQueue.consume(
            queueName,
            async () => {
              startedAt = Date.now();
              resolve();
            },
            { minPollIntervalMs: 5_000, pollIntervalMs: 10_000 },
          );
        });
        await sleep(300); // the consumer is idle, the listener connected
        const sentAt = Date.now();
        await publisher.publish(queueName, { type: 't', payload: { secret: 'PAYLOAD-4711' } });
        await delivered;
        expect(startedAt - sentAt).toBeLessThan(2_000);
        await sleep(50);
        expect(payloads).toContain(queueName);
        expect(payloads.join()).not.toContain('PAYLOAD-4711');
        const listening = async () =>
          (
            await client().$queryRawUnsafe<{ n: number }[]>(
              'SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE \'LISTEN "mqkit_mqkit_messages"%\' AND pid <> $1',
              (
                await listener.query('SELECT pg_backend_pid() AS pid')
              ).rows[0].pid,
            )
          )[0]?.n ?? 0;
        const before = await listening();
        await consumerQueue.close();
        await sleep(100);
        expect(await listening()).toBe(before - 1); // close() ended the connection mqkit opened
        await publisher.close();
        await listener.end();
      });
    }
  });
}
