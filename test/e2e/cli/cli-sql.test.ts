import { createPrismaQueue } from '@mqkit/prisma';
import { afterAll, describe, expect, it } from 'vitest';
import { mariadb, postgres, probe } from '../../../packages/prisma/test/databases.js';
import { mqkit } from './run-cli.js';
import { defineCliScenario } from './scenario.js';

// The `mqkit` binary against the real PostgreSQL and MariaDB (probe() applies the migrations).
for (const db of [postgres, mariadb]) {
  const unreachable = await probe(db);
  if (unreachable) console.log(`SKIPPED: mqkit CLI on ${db.label} — ${unreachable}`);
  describe.runIf(unreachable === undefined)(`mqkit CLI on ${db.label}`, () => {
    const prisma = db.client({ max: 4 });
    afterAll(async () => {
      await prisma.$disconnect();
    });
    defineCliScenario(() => ({
      create: (options) => createPrismaQueue({ ...options, prisma }),
      args: [],
      // The connection comes from the documented variable, not a flag.
      env: { MQKIT_DATABASE_URL: db.url },
    }));

    it('a missing table is one line naming the table and how to create it (exit 1)', async () => {
      const run = await mqkit(['--url', db.url, '--table', 'mqkit_cli_absent', 'queues']);
      expect(run.code).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/mqkit_cli_absent.*do not exist: run applyMigrations/);
    });
  });
}

describe('mqkit CLI connection errors', () => {
  it('an unreachable database is one line and exit 1; --debug adds the stack', async () => {
    const url = 'postgres://operator:hunter2@127.0.0.1:1/test';
    const run = await mqkit(['--url', url, 'queues']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^mqkit: .*ECONNREFUSED/),
    ]);
    expect(run.stderr).not.toContain('hunter2');
    const debug = await mqkit(['--url', url, '--debug', 'queues']);
    expect(debug.stderr.trim().split('\n').length).toBeGreaterThan(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(debug.stderr).not.toContain('hunter2');
  });

  it('a wrong URL, no URL, or two connection variables are usage errors (exit 2) saying what to do', async () => {
    const bad = await mqkit(['--url', 'redis-is-not-sql', 'queues']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^mqkit: --url is not a URL/);
    const scheme = await mqkit(['--url', 'http://u:secret@example.com/', 'queues']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(/scheme "http:".*use postgres:\/\//);
    expect(scheme.stderr).not.toContain('secret');
    const none = await mqkit(['queues']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/pass --url or set MQKIT_DATABASE_URL or MQKIT_MONGODB_URL/);
    const both = await mqkit(['queues'], {
      MQKIT_DATABASE_URL: postgres.url,
      MQKIT_MONGODB_URL: 'mongodb://127.0.0.1:1/',
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/both set: pass --url/);
  });

  it('a bad flag value is a usage error before any connection', async () => {
    const run = await mqkit(['--url', 'postgres://127.0.0.1:1/test', 'peek', 'q', '--limit', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--limit must be an integer from 1 to 1000/);
    const time = await mqkit([
      '--url',
      'postgres://127.0.0.1:1/test',
      'dlq',
      'list',
      'q',
      '--since',
      'yesterday',
    ]);
    expect(time.code).toBe(2);
    expect(time.stderr).toMatch(/--since "yesterday" is not a time/);
  });
});
