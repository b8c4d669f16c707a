/**
 * `pnpm bench:mongodb` — enqueue and drain throughput of @mqkit/mongodb against a raw-driver
 * claim loop, in one run against one server.
 *
 * Server: MONGODB_URL when set; otherwise the in-process CongoDB stand-in, whose numbers are
 * labelled "stand-in — not a performance figure": it is a single-threaded JavaScript server
 * without indexes (every query is a full scan), sharing this process's CPU.
 *
 *   mqkit   createMongoQueue: publish in chunks of 1 000 (timed: enqueue); then consume with
 *           concurrency 8 × batchSize 50 and a no-op handler (timed: drain, from consume() until
 *           the last message was handled and stop() wrote every acknowledgement).
 *   raw     the loop users write by hand: insertMany in chunks of 1 000 (enqueue); then 8
 *           concurrent loops of findOneAndUpdate (same filter, sort and index as mqkit's claim)
 *           + deleteOne by _id (drain).
 * Each contender gets a fresh collection with the same indexes. On the stand-in the raw loop
 * (a sorted full scan per message) would take tens of minutes for 20 000 messages, so there it
 * stops after RAW_BUDGET_MS (default 60 000) and its rate is taken over what it drained; the
 * table and JSON say so (`raw_loop_complete`). Against a real server it always drains fully.
 *
 * Prints a table, then as the very last line one JSON object.
 * Environment: MONGODB_URL, BENCH_MESSAGES (default 20 000), RAW_BUDGET_MS.
 */
import { randomBytes } from 'node:crypto';
import { createMongoQueue } from '@mqkit/mongodb';
import { type Collection, type Document, MongoClient } from 'mongodb';
import { startMongo } from '../../test/support/congo.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const CHUNK = 1_000;
const CONCURRENCY = 8;
const BATCH_SIZE = 50;
const LEASE_MS = 60_000;

interface Result {
  readonly enqueueMs: number;
  readonly drainMs: number;
  readonly drained: number;
  readonly complete: boolean;
}

const rate = (count: number, ms: number): number => Math.round((count / ms) * 1_000);

async function benchMqkit(
  client: MongoClient,
  dbName: string,
  collection: string,
): Promise<Result> {
  const mq = createMongoQueue<{ job: { i: number } }>({ client, dbName, collection });
  await mq.init();
  const t0 = performance.now();
  for (let offset = 0; offset < MESSAGES; offset += CHUNK) {
    const count = Math.min(CHUNK, MESSAGES - offset);
    await mq.publish(
      'bench',
      Array.from({ length: count }, (_, j) => ({
        type: 'job' as const,
        payload: { i: offset + j },
      })),
    );
  }
  const enqueueMs = performance.now() - t0;
  let handled = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const t1 = performance.now();
  const consumer = mq.consume(
    'bench',
    async (messages) => {
      handled += messages.length;
      if (handled >= MESSAGES) done();
    },
    { concurrency: CONCURRENCY, batchSize: BATCH_SIZE, visibilityTimeoutMs: LEASE_MS },
  );
  await all;
  await consumer.stop();
  const drainMs = performance.now() - t1;
  await mq.close();
  return { enqueueMs, drainMs, drained: handled, complete: true };
}

async function benchRaw(coll: Collection<Document>, budgetMs: number): Promise<Result> {
  await coll.createIndex({ queue: 1, priority: -1, runAt: 1, leaseUntil: 1 }, { name: 'claim' });
  const t0 = performance.now();
  for (let offset = 0; offset < MESSAGES; offset += CHUNK) {
    const count = Math.min(CHUNK, MESSAGES - offset);
    const now = new Date();
    await coll.insertMany(
      Array.from({ length: count }, (_, j) => ({
        queue: 'bench',
        mid: randomBytes(8).toString('hex'),
        type: 'job',
        body: JSON.stringify({ i: offset + j }),
        priority: 0,
        attempt: 0,
        createdAt: now,
        runAt: now,
        leaseUntil: null,
        token: null,
      })),
      { ordered: false },
    );
  }
  const enqueueMs = performance.now() - t0;
  let drained = 0;
  const t1 = performance.now();
  const deadline = t1 + budgetMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const now = new Date();
      const doc = await coll.findOneAndUpdate(
        {
          queue: 'bench',
          runAt: { $lte: now },
          $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }],
        },
        {
          $set: { token: 'raw', leaseUntil: new Date(now.getTime() + LEASE_MS) },
          $inc: { attempt: 1 },
        },
        { sort: { priority: -1, runAt: 1 } },
      );
      if (doc === null) return;
      JSON.parse(doc.body as string); // the handler's share of the work: read the payload
      await coll.deleteOne({ _id: doc._id });
      drained++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const drainMs = performance.now() - t1;
  return { enqueueMs, drainMs, drained, complete: drained === MESSAGES };
}

async function main(): Promise<void> {
  const endpoint = await startMongo();
  const client = new MongoClient(endpoint.url);
  await client.connect();
  const dbName = `mqkit_bench_${randomBytes(4).toString('hex')}`;
  const db = client.db(dbName);
  let server = 'stand-in';
  if (endpoint.real) {
    const info = await db.admin().command({ buildInfo: 1 });
    const hello = await db.command({ hello: 1 });
    server = `mongodb ${String(info.version)}${typeof hello.setName === 'string' ? ' replica set' : ' standalone'}`;
  }
  const budgetMs = Number(
    process.env.RAW_BUDGET_MS ?? (endpoint.real ? Number.POSITIVE_INFINITY : 60_000),
  );
  const label = endpoint.real ? server : 'CongoDB stand-in — not a performance figure';
  console.log(`@mqkit/mongodb bench: ${MESSAGES} messages, ${label} (${endpoint.label})`);
  console.log(
    `drain: concurrency ${CONCURRENCY}; mqkit batchSize ${BATCH_SIZE}; raw: findOneAndUpdate + deleteOne per message`,
  );

  try {
    const mqkit = await benchMqkit(client, dbName, 'bench_mqkit');
    const raw = await benchRaw(db.collection('bench_raw'), budgetMs);
    const rows = [
      ['contender', 'enqueue msg/s', 'drained', 'drain ms', 'drain msg/s'],
      [
        'mqkit (batch claim)',
        rate(MESSAGES, mqkit.enqueueMs),
        mqkit.drained,
        Math.round(mqkit.drainMs),
        rate(mqkit.drained, mqkit.drainMs),
      ],
      [
        `raw loop${raw.complete ? '' : ' (stopped at budget)'}`,
        rate(MESSAGES, raw.enqueueMs),
        raw.drained,
        Math.round(raw.drainMs),
        rate(raw.drained, raw.drainMs),
      ],
    ].map((r) => r.map(String));
    const widths = (rows[0] as string[]).map((_, i) =>
      Math.max(...rows.map((r) => (r[i] as string).length)),
    );
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] as number)).join('  '));
    const mqkitRate = mqkit.drained / mqkit.drainMs;
    const rawRate = raw.drained / raw.drainMs;
    console.log(
      JSON.stringify({
        bench: 'mongodb',
        server,
        messages: MESSAGES,
        enqueue_per_s: rate(MESSAGES, mqkit.enqueueMs),
        drain_per_s: rate(mqkit.drained, mqkit.drainMs),
        raw_enqueue_per_s: rate(MESSAGES, raw.enqueueMs),
        raw_drain_per_s: rate(raw.drained, raw.drainMs),
        raw_drained: raw.drained,
        raw_loop_complete: raw.complete,
        drain_ratio_vs_raw_loop: Math.round((mqkitRate / rawRate) * 100) / 100,
      }),
    );
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    await endpoint.stop();
  }
}

await main();
