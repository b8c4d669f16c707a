// @mqkit/kinesis under real processes: kinesalite in its own process, consumers as separate OS
// processes, mqkit's Redis a throw-away redis-server on a spare port (restarted, paused and
// script-flushed here; never the shared one). What happened is read back from the record the
// handlers write into the shared Redis, never from in-process counters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeStreamCommand,
  type KinesisClient,
  MergeShardsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueKeys } from '../../packages/kinesis/src/index.js';
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

  async function setup(
    name: string,
    shards: number,
    over: Partial<RunConfig> = {},
    redisArgs: string[] = [],
  ) {
    const mqRedis = await startRedisServer({ args: redisArgs });
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
    const drained = async (ids: string[]) => {
      await waitUntil(
        async () => (await outcome(record, config.run, ids)).lost === 0,
        90_000,
        'every record handled',
      );
      return outcome(record, config.run, ids);
    };
    const ownersNow = () => leaseOwners(admin, config, shardIds(shards));
    return { config, client, admin, mqRedis, workers, handledCount, finish, drained, ownersNow };
  }

  /** Samples every shard's checkpoint until stopped; throws if one ever moved backwards. */
  function watchCheckpoints(admin: Redis, config: RunConfig, shards: string[]) {
    const keys = queueKeys(config.prefix, undefined, config.stream);
    const last = new Map<string, bigint>();
    const backwards: string[] = [];
    let running = true;
    const done = (async () => {
      while (running) {
        for (const shard of shards) {
          const position = await admin.hget(keys.checkpoint(shard), 'position').catch(() => null);
          if (position === null || position === 'SHARD_END') continue;
          const value = BigInt(position);
          if (value < (last.get(shard) ?? 0n))
            backwards.push(`${shard}: ${last.get(shard)} → ${value}`);
          last.set(shard, value);
        }
        await sleep(100);
      }
    })();
    return {
      backwards,
      stop: async () => {
        running = false;
        await done;
      },
    };
  }

  const ofWorker = (p: Proc | undefined) => (p as Proc).hello.consumerId as string;

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
  it('SIGSTOP a consumer past its lease TTL, then SIGCONT: its leases are lost, its in-flight handler is aborted (LeaseLostError) and its checkpoint write refused, a peer took over, no checkpoint moves backwards, 0 lost', async () => {
    // Handlers long enough to freeze one mid-way; a frozen handler waits up to 3 s for its abort.
    const s = await setup('stop', 4, { handlerMs: 400, stallWaitMs: 3_000 });
    const [a, b] = (await s.workers(['a', 'b'])) as [Proc, Proc];
    const watch = watchCheckpoints(s.admin, s.config, shardIds(4));
    const pub = publishPaced(s.client, s.config, 2_000, 400);
    await waitUntil(async () => (await s.handledCount()) >= 400, 60_000, '400 handled');
    // Stop `a` only once the two have balanced: with every shard on `b` there is nothing to lose.
    await waitUntil(
      async () => [...(await s.ownersNow()).values()].filter((o) => o === ofWorker(a)).length === 2,
      15_000,
      'a owning 2 of 4 shards',
    );
    const aShards = [...(await s.ownersNow())]
      .filter(([, o]) => o === ofWorker(a))
      .map(([id]) => id);
    // Freeze `a` while one of its handlers runs.
    await waitUntil(
      async () => Number(await record.get(`${s.config.run}:inflight:a`)) > 0,
      15_000,
      'a handler of a in flight',
    );
    a.process.kill('SIGSTOP');
    await waitUntil(
      async () => [...(await s.ownersNow()).values()].filter((o) => o === ofWorker(b)).length === 4,
      LEASE_MS + 10_000,
      'b owning every shard',
    );
    const continuedAt = Date.now();
    a.process.kill('SIGCONT');
    await pub.done;
    const result = await s.drained(pub.ids);
    await watch.stop();
    const afterCont = (await events(record, s.config.run)).filter(
      (e) => e.worker === 'a' && e.at >= continuedAt,
    );
    const lost = afterCont.filter((e) => e.type === 'leaseLost');
    const aborted = afterCont.filter((e) => e.type === 'handlerAborted');
    const stale = afterCont.filter((e) => e.type === 'staleCheckpointWrite');
    // No checkpoint accepted under a lease `a` held while frozen.
    const staleFences = new Set(stale.map((e) => `${e.lease}#${e.fence}`));
    const acceptedStale = afterCont.filter(
      (e) => e.type === 'checkpointed' && staleFences.has(`${e.lease}#${e.fence}`),
    );
    console.log(
      JSON.stringify({
        scenario: 'sigstop',
        aShards,
        leaseLostAfterCont: lost.length,
        handlersAborted: aborted.length,
        staleWrites: stale.map((e) => e.operation),
        ...result,
      }),
    );
    expect(aShards.length).toBeGreaterThan(0);
    expect(new Set(lost.map((e) => e.lease))).toEqual(new Set(aShards));
    expect(aborted.length).toBeGreaterThan(0);
    expect(afterCont.filter((e) => e.type === 'handlerNotAborted')).toEqual([]);
    expect(new Set(aborted.map((e) => e.operation))).toEqual(new Set(['LeaseLostError']));
    expect(stale).toHaveLength(aborted.length);
    for (const e of stale) expect(['not-owner', 'expired']).toContain(e.operation);
    expect(acceptedStale).toEqual([]);
    expect(watch.backwards).toEqual([]);
    expect(result.lost).toBe(0);
    expect(result.outOfOrderKeys).toEqual([]);
    await s.finish();
  }, 120_000);

  it('Redis restarted mid-run (with its append-only file): consumers recover by themselves, 0 lost, per-key order kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqkit-e2e-redis-'));
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    try {
      const s = await setup('restart', 4, {}, args);
      await s.workers(['a', 'b']);
      const pub = publishPaced(s.client, s.config, 3_000, 500);
      await waitUntil(async () => (await s.handledCount()) >= 600, 60_000, '600 handled');
      s.admin.disconnect();
      await s.mqRedis.kill();
      await sleep(1_000);
      const again = await startRedisServer({ port: s.mqRedis.port, args });
      servers.push(again);
      const admin = new Redis(again.url);
      await pub.done.catch(() => {});
      // Records the publisher could not put while Redis was down are not the consumer's concern:
      // only ids whose publish succeeded are expected.
      const result = await (async () => {
        await waitUntil(
          async () => (await outcome(record, s.config.run, pub.ids)).lost === 0,
          90_000,
          'every published record handled',
        );
        return outcome(record, s.config.run, pub.ids);
      })();
      const lostData = (await events(record, s.config.run)).filter(
        (e) => e.operation === 'redis data lost',
      );
      console.log(JSON.stringify({ scenario: 'redis-restart', ...result }));
      expect(result.lost).toBe(0);
      expect(result.outOfOrderKeys).toEqual([]);
      expect(lostData).toEqual([]);
      admin.disconnect();
      await s.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('a Redis that comes back empty is detected and reported by every consumer, which then take no shard (no silent restart from the start position)', async () => {
    const s = await setup('empty', 2);
    await s.workers(['a', 'b']);
    const pub = publishPaced(s.client, s.config, 600, 300);
    await waitUntil(async () => (await s.handledCount()) >= 200, 60_000, '200 handled');
    await pub.done;
    s.admin.disconnect();
    await s.mqRedis.kill();
    const again = await startRedisServer({ port: s.mqRedis.port });
    servers.push(again);
    const restartedAt = Date.now();
    await waitUntil(
      async () =>
        new Set(
          (await events(record, s.config.run))
            .filter((e) => e.operation === 'redis data lost')
            .map((e) => e.worker),
        ).size === 2,
      20_000,
      'both consumers reporting the data loss',
    );
    await sleep(LEASE_MS);
    const acquiredAfter = (await events(record, s.config.run)).filter(
      (e) => e.type === 'leaseAcquired' && e.at > restartedAt,
    );
    expect(acquiredAfter).toEqual([]);
    await s.finish();
  }, 90_000);

  it('SCRIPT FLUSH mid-run surfaces no error, and Redis paused (CLIENT PAUSE) for less than the TTL moves no shard', async () => {
    const s = await setup('flush', 4);
    await s.workers(['a', 'b']);
    const pub = publishPaced(s.client, s.config, 2_000, 400);
    await waitUntil(async () => (await s.handledCount()) >= 300, 60_000, '300 handled');
    await s.admin.script('FLUSH');
    await waitUntil(async () => (await s.handledCount()) >= 800, 60_000, '800 handled');
    await waitUntil(
      async () => [...(await s.ownersNow()).values()].length === 4,
      10_000,
      'every shard owned',
    );
    const before = await s.ownersNow();
    const pausedAt = Date.now();
    await s.admin.call('CLIENT', 'PAUSE', String(Math.floor(LEASE_MS / 4)), 'ALL');
    await sleep(LEASE_MS);
    expect(await s.ownersNow()).toEqual(before);
    await pub.done;
    const result = await s.drained(pub.ids);
    const all = await events(record, s.config.run);
    const errors = all.filter((e) => e.type === 'backendError');
    const moves = all.filter(
      (e) => (e.type === 'leaseLost' || e.type === 'leaseAcquired') && e.at >= pausedAt,
    );
    console.log(
      JSON.stringify({
        scenario: 'script-flush+short-pause',
        errors: errors.length,
        moves: moves.length,
        ...result,
      }),
    );
    expect(errors).toEqual([]);
    expect(moves).toEqual([]);
    expect(result.lost).toBe(0);
    await s.finish();
  }, 120_000);

  it('Redis paused longer than the TTL: each instance stops its loops before a peer claims the shard, 0 lost', async () => {
    const s = await setup('pause', 4);
    await s.workers(['a', 'b']);
    const pub = publishPaced(s.client, s.config, 2_000, 400);
    await waitUntil(async () => (await s.handledCount()) >= 400, 60_000, '400 handled');
    const pausedAt = Date.now();
    await s.admin.call('CLIENT', 'PAUSE', String(LEASE_MS + 1_500), 'ALL');
    await pub.done;
    const result = await s.drained(pub.ids);
    const all = (await events(record, s.config.run)).filter((e) => e.at >= pausedAt);
    // Replay each shard's lease events in time order: a claim while another instance still
    // runs the shard's loop (acquired, not yet lost or released) is a violation.
    const violations: string[] = [];
    const holder = new Map<string, string>();
    for (const e of [...(await events(record, s.config.run))].sort((x, y) => x.at - y.at)) {
      if (e.lease === undefined) continue;
      if (e.type === 'leaseAcquired') {
        const other = holder.get(e.lease);
        if (other !== undefined && other !== e.worker && e.at >= pausedAt)
          violations.push(`${e.lease}: ${e.worker} claimed while ${other} still ran it`);
        holder.set(e.lease, e.worker);
      } else if (
        (e.type === 'leaseLost' || e.type === 'leaseReleased') &&
        holder.get(e.lease) === e.worker
      )
        holder.delete(e.lease);
    }
    const gaveUp = all.filter((e) => e.type === 'leaseLost');
    console.log(JSON.stringify({ scenario: 'long-pause', gaveUp: gaveUp.length, ...result }));
    expect(gaveUp.length).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    expect(result.lost).toBe(0);
    expect(result.outOfOrderKeys).toEqual([]);
    await s.finish();
  }, 120_000);

  it('a shard split and a merge while 3 consumers run: 0 lost, per-key order kept', async () => {
    const s = await setup('reshard', 2);
    await s.workers(['a', 'b', 'c']);
    const pub = publishPaced(s.client, s.config, 3_000, 500);
    await waitUntil(async () => (await s.handledCount()) >= 600, 60_000, '600 handled');
    await reshard(s.client, s.config.stream);
    await pub.done;
    const result = await s.drained(pub.ids);
    console.log(JSON.stringify({ scenario: 'split+merge', ...result }));
    expect(result.lost).toBe(0);
    expect(result.outOfOrderKeys).toEqual([]);
    await s.finish();
  }, 150_000);

  it('joining while a long batch runs hands off after the checkpoint with 0 duplicates; an old owner killed mid-handoff never leaves a lease stuck', async () => {
    const s = await setup('handoff', 4, { handlerMs: 1_000, batchSize: 20 });
    const [a] = (await s.workers(['a'])) as [Proc];
    const pub = publishPaced(s.client, s.config, 480, 240);
    await waitUntil(
      async () => [...(await s.ownersNow()).values()].filter((o) => o === ofWorker(a)).length === 4,
      20_000,
      'a owning every shard',
    );
    await waitUntil(async () => (await s.handledCount()) >= 80, 60_000, 'long batches running');
    const [b] = (await s.workers(['b'])) as [Proc];
    await waitUntil(
      async () => [...(await s.ownersNow()).values()].filter((o) => o === ofWorker(b)).length === 2,
      15_000,
      'b owning 2 shards',
    );
    const handedOff = await outcome(record, s.config.run, pub.ids);
    expect(handedOff.duplicates).toBe(0);
    // c joins; a dies while handing a shard over.
    const [c] = (await s.workers(['c'])) as [Proc];
    await sleep(300);
    const killedAt = Date.now();
    a.process.kill('SIGKILL');
    await a.exited;
    await waitUntil(
      async () => {
        const owners = await s.ownersNow();
        return (
          owners.size === 4 &&
          [...owners.values()].every((o) => o === ofWorker(b) || o === ofWorker(c))
        );
      },
      LEASE_MS + 10_000,
      'b and c owning every shard',
    );
    const takeoverMs = Date.now() - killedAt;
    await pub.done;
    const result = await s.drained(pub.ids);
    console.log(
      JSON.stringify({
        scenario: 'handoff',
        duplicatesAtHandoff: handedOff.duplicates,
        takeoverMs,
        ...result,
      }),
    );
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 2_000);
    expect(result.lost).toBe(0);
    expect(result.outOfOrderKeys).toEqual([]);
    await s.finish();
  }, 150_000);
});

/** Splits shard 0 in the middle of its hash range, then merges the split's upper child with shard 1. */
async function reshard(client: KinesisClient, stream: string): Promise<void> {
  const describe = async () =>
    (await client.send(new DescribeStreamCommand({ StreamName: stream }))).StreamDescription;
  const active = async () => {
    await waitUntil(
      async () => (await describe())?.StreamStatus === 'ACTIVE',
      10_000,
      'stream ACTIVE',
    );
  };
  const first = (await describe())?.Shards?.[0];
  const start = BigInt(first?.HashKeyRange?.StartingHashKey ?? '0');
  const end = BigInt(first?.HashKeyRange?.EndingHashKey ?? '0');
  await client.send(
    new SplitShardCommand({
      StreamName: stream,
      ShardToSplit: first?.ShardId,
      NewStartingHashKey: String((start + end) / 2n),
    }),
  );
  await active();
  const shards = (await describe())?.Shards ?? [];
  const upper = shards
    .filter((sh) => sh.ParentShardId === first?.ShardId)
    .sort((x, y) =>
      BigInt(x.HashKeyRange?.StartingHashKey ?? 0) > BigInt(y.HashKeyRange?.StartingHashKey ?? 0)
        ? -1
        : 1,
    )[0];
  await sleep(1_000);
  await client.send(
    new MergeShardsCommand({
      StreamName: stream,
      ShardToMerge: upper?.ShardId,
      AdjacentShardToMerge: 'shardId-000000000001',
    }),
  );
  await active();
}
