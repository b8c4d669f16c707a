import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createMongoQueue } from '@mqkit/mongodb';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MongoEndpoint, startMongo } from '../support/congo.js';

// The stand-in is a TCP server in this test process, so a separate worker process reaches it like
// any MongoDB server; with MONGODB_URL the same test runs against the real server.
const worker = fileURLToPath(new URL('./mongodb/crash-worker.ts', import.meta.url));
const DB = 'mqkit_e2e';
const LEASE_MS = 2_000;

let endpoint: MongoEndpoint;
let client: MongoClient;
const children: ChildProcess[] = [];

beforeAll(async () => {
  endpoint = await startMongo();
  client = new MongoClient(endpoint.url);
  await client.connect();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await client?.close();
  await endpoint?.stop();
});

/** Starts the worker; resolves with the ids it reports as claimed once it holds `count`. */
function runWorker(
  queue: string,
  count: number,
): Promise<{ child: ChildProcess; claimed: Set<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', worker], {
    env: {
      ...process.env,
      MQKIT_TEST_MONGODB_URL: endpoint.url,
      MQKIT_TEST_DB: DB,
      MQKIT_TEST_QUEUE: queue,
      MQKIT_TEST_LEASE_MS: String(LEASE_MS),
      MQKIT_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const claimed = new Set<string>();
  let stderr = '';
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [word, id] = line.split(' ');
        if (word === 'claimed' && id !== undefined) claimed.add(id);
      }
      if (claimed.size >= count) resolve({ child, claimed });
    });
    child.on('exit', (code, signal) =>
      reject(new Error(`worker exited early (${code ?? signal}): ${stderr.slice(-2_000)}`)),
    );
  });
}

describe(`mongodb crash safety (${process.env.MONGODB_URL ? 'MONGODB_URL' : 'CongoDB stand-in'})`, () => {
  it('redelivers the messages of a consumer process killed with SIGKILL after the lease expires, losing nothing', async () => {
    const queue = `crash_${randomBytes(6).toString('hex')}`;
    const mq = createMongoQueue({ client, dbName: DB });
    const total = 60;
    const { ids } = await mq.publish(
      queue,
      Array.from({ length: total }, (_, i) => ({ type: 'job', payload: { i } })),
    );

    // 4 handler calls × 5 messages: the worker holds 20 leases when it is killed.
    const { child, claimed } = await runWorker(queue, 20);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    expect(claimed.size).toBe(20);

    const deliveries = new Map<string, { attempt: number; at: number }[]>();
    const consumer = mq.consume(
      queue,
      (messages) => {
        for (const m of messages) {
          const list = deliveries.get(m.id) ?? [];
          list.push({ attempt: m.attempt, at: Date.now() });
          deliveries.set(m.id, list);
        }
      },
      { concurrency: 4, batchSize: 10, visibilityTimeoutMs: LEASE_MS, pollIntervalMs: 100 },
    );
    const deadline = Date.now() + 20_000;
    while (deliveries.size < total && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await consumer.stop();

    // Nothing lost, nothing delivered twice to the survivor.
    expect(new Set(deliveries.keys())).toEqual(new Set(ids));
    for (const [id, list] of deliveries) {
      expect(list, id).toHaveLength(1);
      const first = list[0] as { attempt: number; at: number };
      if (claimed.has(id)) {
        // The killed worker's delivery counted: this is the second attempt, after its lease ran out.
        expect(first.attempt).toBe(2);
        expect(first.at - killedAt).toBeGreaterThanOrEqual(LEASE_MS - LEASE_MS / 4 - 250);
      } else {
        expect(first.attempt).toBe(1);
      }
    }
    // Every message was acknowledged: no live document is left for the queue.
    expect(await client.db(DB).collection(mq.collectionName).countDocuments({ queue })).toBe(0);
    await mq.close();
  }, 60_000);
});
