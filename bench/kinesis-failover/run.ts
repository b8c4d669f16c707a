// bench/kinesis-failover: how fast @mqkit/kinesis instances take over a killed peer's shards and
// give a joining peer its fair share, and what that costs in lost and duplicated records.
// Real OS processes: kinesalite in its own process, 3 consumer processes on an 8-shard stream,
// mqkit's Redis a throw-away redis-server on a spare port (never the shared one); the handlers
// record what they handled in the machine's Redis (unique keys, removed at the end).
//   1. RECORDS keyed records are published over about 10 s while the 3 consumers run;
//   2. at 30 % handled one consumer is SIGKILLed: takeover_ms = kill → every shard owned (live
//      lease) by a survivor;
//   3. a 4th consumer starts: join_fair_share_ms = it consumes → it owns its fair share
//      (floor(8 / 3 live) = 2 shards); join_from_spawn_ms adds the process start-up;
//   4. lost = published ids never handled; duplicates = extra handlings (bounded by the killed
//      consumer's in-flight batches).
// Lease TTL (visibilityTimeoutMs) LEASE_MS, default 10 000; renewals every TTL / 4.
// Prints a table; the last line is one JSON object.
import { Redis } from 'ioredis';
import { probeRedisBinaries, startRedisServer } from '../../packages/kinesis/test/redis-servers.js';
import { createStream, plainKinesis, unique } from '../../packages/kinesis/test/support.js';
import {
  cleanRun,
  leaseOwners,
  outcome,
  type Proc,
  publishPaced,
  type RunConfig,
  startKinesaliteProcess,
  startWorker,
  stopAll,
  waitUntil,
} from '../../test/e2e/kinesis/harness.js';

const RECORDS = Number(process.env.RECORDS ?? 20_000);
const LEASE_MS = Number(process.env.LEASE_MS ?? 10_000);
const SHARDS = 8;
const REDIS_URL = process.env.MQKIT_REDIS_URL ?? 'redis://127.0.0.1:6379';

const missing = probeRedisBinaries();
if (missing) {
  console.error(`bench:kinesis-failover needs ${missing}`);
  process.exit(1);
}

const kinesalite = await startKinesaliteProcess();
const mqRedis = await startRedisServer();
const record = new Redis(REDIS_URL);
const admin = new Redis(mqRedis.url);
const client = plainKinesis(kinesalite.endpoint);
const procs: Proc[] = [];
const config: RunConfig = {
  run: unique('bench-kin-failover'),
  kinesis: kinesalite.endpoint,
  redisUrl: mqRedis.url,
  recordUrl: REDIS_URL,
  prefix: 'mqkit-bench',
  stream: unique('failover'),
  leaseMs: LEASE_MS,
  batchSize: 100,
  handlerMs: 10,
};
const shards = Array.from({ length: SHARDS }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
const ownerCounts = async () => {
  const counts = new Map<string, number>();
  for (const o of (await leaseOwners(admin, config, shards)).values())
    counts.set(o, (counts.get(o) ?? 0) + 1);
  return counts;
};

try {
  await createStream(client, config.stream, SHARDS);
  const started = await Promise.all(['a', 'b', 'c'].map((n) => startWorker(n, config)));
  procs.push(...started);
  const pub = publishPaced(client, config, RECORDS, Math.max(1_000, Math.ceil(RECORDS / 10)));
  await waitUntil(
    async () => (await record.llen(`${config.run}:handled`)) >= RECORDS * 0.3,
    300_000,
    '30 % handled',
  );
  const victim = started[1] as Proc;
  const victimId = victim.hello.consumerId as string;
  const victimShards = (await ownerCounts()).get(victimId) ?? 0;
  const survivors = started.filter((p) => p !== victim).map((p) => p.hello.consumerId);
  const killedAt = Date.now();
  victim.process.kill('SIGKILL');
  await waitUntil(
    async () => {
      const owners = await leaseOwners(admin, config, shards);
      return owners.size === SHARDS && [...owners.values()].every((o) => survivors.includes(o));
    },
    LEASE_MS * 4,
    'the survivors owning every shard',
  );
  const takeoverMs = Date.now() - killedAt;

  const spawnedAt = Date.now();
  const joiner = await startWorker('d', config);
  procs.push(joiner);
  const consumingAt = Date.now();
  const fair = Math.floor(SHARDS / 3);
  await waitUntil(
    async () => ((await ownerCounts()).get(joiner.hello.consumerId as string) ?? 0) >= fair,
    60_000,
    'the joiner owning its fair share',
  );
  const joinMs = Date.now() - consumingAt;
  const joinFromSpawnMs = Date.now() - spawnedAt;

  await pub.done;
  await waitUntil(
    async () => (await outcome(record, config.run, pub.ids)).lost === 0,
    Math.max(120_000, RECORDS * 5),
    'every record handled',
  );
  const result = await outcome(record, config.run, pub.ids);
  const rows: [string, string | number][] = [
    ['records', RECORDS],
    ['shards / consumers', `${SHARDS} / 3 (+1 joining)`],
    ['lease TTL ms', LEASE_MS],
    ['lost', result.lost],
    ['duplicates', result.duplicates],
    ['killed consumer owned (shards)', victimShards],
    ['keys out of order', result.outOfOrderKeys.length],
    ['takeover ms (kill → survivors own all)', takeoverMs],
    ['join → fair share ms', joinMs],
    ['join from process spawn ms', joinFromSpawnMs],
    ['max GetRecords per shard per s', result.maxGetRecordsPerShardSecond],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\nbench:kinesis-failover (kinesalite process, throw-away redis-server)');
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log(
    JSON.stringify({
      bench: 'kinesis-failover',
      records: RECORDS,
      lost: result.lost,
      duplicates: result.duplicates,
      takeover_ms: takeoverMs,
      join_fair_share_ms: joinMs,
    }),
  );
} finally {
  await stopAll(procs);
  await cleanRun(record, config.run);
  record.disconnect();
  admin.disconnect();
  client.destroy();
  await mqRedis.kill();
  kinesalite.proc.process.kill('SIGKILL');
}
