// @mqkit/kinesis under real processes: kinesalite in its own process, consumers as separate OS
// processes, mqkit's Redis a throw-away redis-server on a spare port (restarted, paused and
// script-flushed here; never the shared one). What happened is read back from the record the
// handlers write into the shared Redis, never from in-process counters.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  probeRedisBinaries,
  startRedisServer,
  type ThrowAwayRedis,
} from '../../packages/kinesis/test/redis-servers.js';
import {
  createStream,
  plainKinesis,
  probeRedis,
  REDIS_URL,
  unique,
} from '../../packages/kinesis/test/support.js';
import {
  cleanRun,
  events,
  leaseOwners,
  outcome,
  type Proc,
  publishPaced,
  type RunConfig,
  sleep,
  startKinesaliteProcess,
  startWorker,
  stopAll,
  waitUntil,
} from './kinesis/harness.js';

const RECORDS = Number(process.env.MQKIT_E2E_KINESIS_RECORDS ?? 10_000);
const LEASE_MS = 4_000;

const unreachable = (await probeRedis()) ?? probeRedisBinaries();
if (unreachable) console.log(`SKIPPED: kinesis chaos e2e — ${unreachable}`);

const shardIds = (n: number) =>
  Array.from({ length: n }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);

describe.runIf(unreachable === undefined)('kinesis chaos (separate processes)', () => {
  let kinesalite: Awaited<ReturnType<typeof startKinesaliteProcess>>;
  let record: Redis;
  const procs: Proc[] = [];
  const servers: ThrowAwayRedis[] = [];
  const runs: string[] = [];
  beforeAll(async () => {
    kinesalite = await startKinesaliteProcess();
    record = new Redis(REDIS_URL);
  }, 30_000);
  afterAll(async () => {
    await stopAll(procs);
    for (const s of servers) await s.kill();
    for (const run of runs) await cleanRun(record, run);
    record.disconnect();
    kinesalite?.proc.process.kill('SIGKILL');
  }, 60_000);

  async function setup(name: string, shards: number, over: Partial<RunConfig> = {}) {
    const mqRedis = await startRedisServer();
    servers.push(mqRedis);
    const client = plainKinesis(kinesalite.endpoint);
    const config: RunConfig = {
      run: unique(`e2e-kin-${name}`),
      kinesis: kinesalite.endpoint,
      redisUrl: mqRedis.url,
      recordUrl: REDIS_URL,
      prefix: 'mqkit-e2e',
      stream: unique(name),
      leaseMs: LEASE_MS,
      batchSize: 50,
      handlerMs: 10,
      ...over,
    };
    runs.push(config.run);
    await createStream(client, config.stream, shards);
    const admin = new Redis(mqRedis.url);
    const workers = async (names: string[]) => {
      const started = await Promise.all(names.map((n) => startWorker(n, config)));
      procs.push(...started);
      return started;
    };
    const handledCount = () => record.llen(`${config.run}:handled`);
    const finish = async () => {
      admin.disconnect();
      client.destroy();
    };
    return { config, client, admin, mqRedis, workers, handledCount, finish };
  }

  it(`3 consumers, 8 shards, ${RECORDS} keyed records: SIGKILL one — 0 lost, duplicates within its in-flight batches, per-key order, takeover within TTL + 2 s; a 4th joins and owns its share within 5 s; ≤ 5 GetRecords/s per shard`, async () => {
    const s = await setup('kill', 8);
    const shards = shardIds(8);
    const [a, b, c] = (await s.workers(['a', 'b', 'c'])) as [Proc, Proc, Proc];
    const perSecond = Math.max(1_000, Math.ceil(RECORDS / 10));
    const pub = publishPaced(s.client, s.config, RECORDS, perSecond);
    await waitUntil(
      async () => (await s.handledCount()) >= RECORDS * (0.2 + Math.random() * 0.2),
      60_000,
      '20–40 % handled',
    );
    const victim = [a, b, c][Math.floor(Math.random() * 3)] as Proc;
    const victimId = victim.hello.consumerId as string;
    const victimShards = [...(await leaseOwners(s.admin, s.config, shards)).values()].filter(
      (o) => o === victimId,
    ).length;
    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    await victim.exited;
    const survivors = [a, b, c].filter((p) => p !== victim).map((p) => p.hello.consumerId);
    await waitUntil(
      async () => {
        const owners = await leaseOwners(s.admin, s.config, shards);
        return owners.size === 8 && [...owners.values()].every((o) => survivors.includes(o));
      },
      LEASE_MS + 10_000,
      'the survivors owning every shard',
    );
    const takeoverMs = Date.now() - killedAt;

    // From the moment the 4th instance consumes (its process start-up is not the rebalancer's).
    const [d] = await s.workers(['d']);
    const joinedAt = Date.now();
    const dId = (d as Proc).hello.consumerId as string;
    await waitUntil(
      async () =>
        [...(await leaseOwners(s.admin, s.config, shards)).values()].filter((o) => o === dId)
          .length >= 2,
      15_000,
      'the joining instance owning 2 of 8 shards',
    );
    const joinMs = Date.now() - joinedAt;

    await pub.done;
    await waitUntil(
      async () => (await outcome(record, s.config.run, pub.ids)).lost === 0,
      90_000,
      'every record handled',
    );
    const result = await outcome(record, s.config.run, pub.ids);
    console.log(
      JSON.stringify({
        scenario: 'kill+join',
        records: RECORDS,
        victimShards,
        takeoverMs,
        joinMs,
        ...result,
      }),
    );
    expect(result.lost).toBe(0);
    expect(result.duplicates).toBeLessThanOrEqual(victimShards * s.config.batchSize);
    expect(result.outOfOrderKeys).toEqual([]);
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 2_000);
    expect(joinMs).toBeLessThanOrEqual(5_000);
    expect(result.maxGetRecordsPerShardSecond).toBeLessThanOrEqual(5);
    await s.finish();
  }, 240_000);
});
