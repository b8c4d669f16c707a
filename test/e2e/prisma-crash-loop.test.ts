// A crash loop under real processes: the worker SIGKILLs itself on one message, and is restarted
// each time it dies (as a process manager would). With `maxAttempts: 2` that message must be
// delivered twice, then once more alone (a solo run: its lease expired on its last attempt), and
// then dead-lettered (`lease-expired`) without a fourth delivery; the 20 good messages behind it
// must all be handled (twice only where the kill beat the ack) and none dead-lettered — also with
// `prefetch`, where they are claimed and held beside the looper every time it kills its worker.
// Counted from the record the handlers wrote before any kill, never from in-process counters.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPrismaQueue } from '../../packages/prisma/src/index.js';
import {
  mariadb,
  postgres,
  probe,
  type TestDatabase,
  uniqueQueue,
} from '../../packages/prisma/test/databases.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workerScript = fileURLToPath(new URL('./prisma/crash-loop-worker.ts', import.meta.url));
const GOOD = 20;
const MAX_RESTARTS = 8;

const databases = await Promise.all(
  [postgres, mariadb].map(async (db) => {
    const reason = await probe(db);
    if (reason) console.log(`SKIPPED: ${db.label} crash-loop e2e — ${reason}`);
    return { db, reachable: reason === undefined };
  }),
);

/** Starts one worker; resolves with its exit signal (or code) when it ends. */
function runWorker(env: Record<string, string>): { child: ChildProcess; ended: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    cwd: root,
    env: { ...process.env, ...env, MQKIT_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ended = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  return { child, ended };
}

function readRecord(file: string): { id: string; attempt: number }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [id, attempt] = line.split(' ');
      return { id: id as string, attempt: Number(attempt) };
    });
}

for (const { db, reachable } of databases) {
  describe.runIf(reachable)(`${db.label}: crash loop (real processes, SIGKILL)`, () => {
    it('a message that kills its worker on every delivery is delivered maxAttempts times and once alone, then dead-lettered as lease-expired; the 20 behind it are handled', async () => {
      await crashLoop(db, 0);
    }, 90_000);
    it('with prefetch 10, the messages claimed beside the looper are handled, not dead-lettered with it', async () => {
      await crashLoop(db, 10);
    }, 90_000);
  });
}

async function crashLoop(db: TestDatabase, prefetch: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mqkit-crash-loop-'));
  const record = join(dir, 'record.txt');
  writeFileSync(record, '');
  const prisma = db.client({ max: 2 });
  const queue = createPrismaQueue({ prisma });
  const name = uniqueQueue('crash-loop');
  try {
    const {
      ids: [poisonId],
    } = await queue.publish(name, [{ type: 'job', payload: { poison: true } }]);
    const { ids: goodIds } = await queue.publish(
      name,
      Array.from({ length: GOOD }, (_, i) => ({ type: 'job', payload: { n: i } })),
    );
    const env = {
      MQKIT_E2E_QUEUE: name,
      MQKIT_E2E_RECORD: record,
      MQKIT_E2E_DIALECT: db.dialect,
      MQKIT_E2E_PREFETCH: String(prefetch),
    };
    const exits: string[] = [];
    const handledGood = (): number =>
      new Set(
        readRecord(record)
          .filter((r) => r.id !== poisonId)
          .map((r) => r.id),
      ).size;
    const finished = async (): Promise<boolean> =>
      handledGood() >= GOOD && (await queue.deadLetters.count(name)) === 1;
    // Restart the worker each time it dies, until the good messages are handled and the crash
    // looper is dead-lettered (what a process manager would do).
    while (!(await finished()) && exits.length < MAX_RESTARTS) {
      const worker = runWorker(env);
      let ended = false;
      void worker.ended.then(() => {
        ended = true;
      });
      // A worker that neither dies nor finishes within 20 s is stopped (the checks below then
      // fail): the loop never outlives the test, and no worker process is left behind.
      const deadline = Date.now() + 20_000;
      while (!ended && !(await finished()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      if (!ended) worker.child.kill('SIGTERM');
      exits.push(`${ended ? '' : 'stopped:'}${await worker.ended}`);
    }

    const rows = readRecord(record);
    const poisonDeliveries = rows.filter((r) => r.id === poisonId).map((r) => r.attempt);
    const goodDeliveries = rows.filter((r) => r.id !== poisonId);
    console.log(
      JSON.stringify({
        db: db.label,
        prefetch,
        exits,
        poisonDeliveries,
        good: goodDeliveries.length,
      }),
    );
    // Two deaths (attempts 1 and 2), a third on its solo run, then the fourth worker dead-letters
    // it without a delivery.
    expect(poisonDeliveries).toEqual([1, 2, 3]);
    expect(exits).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL', 'stopped:0']);
    // Every good message handled; a second delivery only for one whose ack was still unwritten
    // when the worker killed itself (at most 2 outcomes wait at concurrency 1), on a later attempt.
    expect(new Set(goodDeliveries.map((r) => r.id))).toEqual(new Set(goodIds));
    const seen = new Map<string, number[]>();
    for (const r of goodDeliveries) seen.set(r.id, [...(seen.get(r.id) ?? []), r.attempt]);
    const repeated = [...seen.values()].filter((attempts) => attempts.length > 1);
    expect(repeated.length).toBeLessThanOrEqual(2 * 2);
    for (const attempts of repeated) expect(attempts).toEqual([1, 2]);
    // No good message reached its last attempt: none ran beside a kill more than maxAttempts times.
    expect(goodDeliveries.every((r) => r.attempt <= 3)).toBe(true);

    const dead = await queue.deadLetters.list(name);
    expect(dead.map((d) => d.message.id)).toEqual([poisonId]);
    expect(dead[0]?.error.code).toBe('MQKIT_LEASE_EXPIRED');
    expect(dead[0]?.attempts).toBe(4);
  } finally {
    await queue.deadLetters.purge(name).catch(() => undefined);
    await queue.close();
    await prisma.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
