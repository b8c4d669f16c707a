// Helpers of the @mqkit/kinesis chaos e2e and of `pnpm bench:kinesis-failover`: kinesalite and
// consumers as separate OS processes, a publisher, and the checks that read the record the
// handlers wrote into Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Redis } from 'ioredis';
import { createKinesisQueue, queueKeys } from '../../../packages/kinesis/src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** A child process that reported itself ready over IPC. */
export interface Proc {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The first IPC message (kinesalite: `{ port }`, a worker: `{ consumerId }`). */
  readonly hello: Record<string, unknown>;
}

async function startProc(name: string, script: string, env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', here(script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>));
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code})`)));
  });
  return { name, process: child, exited, hello };
}

/** kinesalite in its own process; `endpoint` for every client. */
export async function startKinesaliteProcess(): Promise<{ endpoint: string; proc: Proc }> {
  const proc = await startProc('kinesalite', './kinesalite-server.ts', {});
  return { endpoint: `http://127.0.0.1:${proc.hello.port}`, proc };
}

/** What a chaos run shares with its workers. */
export interface RunConfig {
  readonly run: string;
  readonly kinesis: string;
  /** The Redis mqkit uses (leases, checkpoints, registry). */
  readonly redisUrl: string;
  /** The Redis the handlers write their record to (may differ: it must survive Redis chaos). */
  readonly recordUrl: string;
  readonly prefix: string;
  readonly stream: string;
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly handlerMs: number;
  /** > 0: handlers frozen mid-way wait this long for their abort and record it (SIGSTOP case). */
  readonly stallWaitMs?: number;
}

/** One consumer process; resolves once it consumes. */
export async function startWorker(name: string, config: RunConfig): Promise<Proc> {
  return startProc(name, './worker.ts', {
    MQKIT_E2E_RUN: config.run,
    MQKIT_E2E_WORKER: name,
    MQKIT_E2E_STREAM: config.stream,
    MQKIT_E2E_KINESIS: config.kinesis,
    MQKIT_E2E_REDIS: config.redisUrl,
    MQKIT_E2E_RECORD_REDIS: config.recordUrl,
    MQKIT_E2E_PREFIX: config.prefix,
    MQKIT_E2E_LEASE_MS: String(config.leaseMs),
    MQKIT_E2E_BATCH: String(config.batchSize),
    MQKIT_E2E_HANDLER_MS: String(config.handlerMs),
    MQKIT_E2E_STALL_WAIT_MS: String(config.stallWaitMs ?? 0),
  });
}

/** SIGTERMs (then, after 10 s, SIGKILLs) every live process and waits for it to exit. */
export async function stopAll(procs: readonly Proc[]): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.process.exitCode === null && p.process.signalCode === null) {
        // A stopped process cannot handle SIGTERM.
        p.process.kill('SIGCONT');
        p.process.kill('SIGTERM');
      }
      const timer = setTimeout(() => p.process.kill('SIGKILL'), 10_000);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes (then throws `what`). */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Keyed records published in order per key, `perSecond` at a time, in the background. */
export function publishPaced(
  client: KinesisClient,
  config: RunConfig,
  count: number,
  perSecond: number,
  keys = 64,
): { ids: string[]; done: Promise<void> } {
  const queue = createKinesisQueue({ kinesis: client, redis: config.redisUrl });
  const ids: string[] = [];
  const done = (async () => {
    const chunk = Math.max(1, Math.floor(perSecond / 10));
    for (let start = 0; start < count; start += chunk) {
      const began = Date.now();
      const batch = Array.from({ length: Math.min(chunk, count - start) }, (_, i) => {
        const n = start + i;
        return { type: 'e2e', payload: { key: `k${n % keys}`, n }, partitionKey: `k${n % keys}` };
      });
      const result = await queue.publish(config.stream, batch);
      ids.push(...result.ids);
      await sleep(Math.max(0, 100 - (Date.now() - began)));
    }
    await queue.close();
  })();
  return { ids, done };
}

/** Live lease owner of each shard, read from the Redis mqkit uses (Redis clock). */
export async function leaseOwners(
  redis: Redis,
  config: RunConfig,
  shardIds: readonly string[],
): Promise<Map<string, string>> {
  const keys = queueKeys(config.prefix, undefined, config.stream);
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const owners = new Map<string, string>();
  for (const shardId of shardIds) {
    const lease = await redis.hmget(keys.lease(shardId), 'owner', 'expiresAt');
    if (lease[0] && Number(lease[1]) > now) owners.set(shardId, lease[0]);
  }
  return owners;
}

/** What the handlers' record shows. */
export interface Outcome {
  readonly handled: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Keys whose first deliveries were not in publish order. */
  readonly outOfOrderKeys: string[];
  /** Most GetRecords calls on one shard within any one-second window, all instances together. */
  readonly maxGetRecordsPerShardSecond: number;
}

export async function outcome(
  record: Redis,
  run: string,
  ids: readonly string[],
): Promise<Outcome> {
  const lines = await record.lrange(`${run}:handled`, 0, -1);
  const count = new Map<string, number>();
  const lastN = new Map<string, number>();
  const outOfOrder = new Set<string>();
  for (const line of lines) {
    const [id, key, n] = line.split('|') as [string, string, string];
    const seen = count.get(id) ?? 0;
    count.set(id, seen + 1);
    if (seen > 0) continue;
    if ((lastN.get(key) ?? -1) > Number(n)) outOfOrder.add(key);
    lastN.set(key, Number(n));
  }
  let duplicates = 0;
  for (const c of count.values()) duplicates += c - 1;
  // Sliding one-second windows over the call times of each shard, all instances together.
  let maxRate = 0;
  for (const key of await record.keys(`${run}:getrecords:*`)) {
    const times = (await record.lrange(key, 0, -1)).map(Number).sort((x, y) => x - y);
    let from = 0;
    for (let i = 0; i < times.length; i++) {
      while ((times[i] as number) - (times[from] as number) >= 1_000) from++;
      maxRate = Math.max(maxRate, i - from + 1);
    }
  }
  return {
    handled: count.size,
    lost: ids.filter((id) => !count.has(id)).length,
    duplicates,
    outOfOrderKeys: [...outOfOrder],
    maxGetRecordsPerShardSecond: maxRate,
  };
}

/** The lease events the workers recorded. */
export interface RecordedEvent {
  at: number;
  worker: string;
  type: string;
  lease?: string;
  operation?: string;
  error?: string;
  /** The lease's fencing counter (checkpoint events of the SIGSTOP case). */
  fence?: number;
}

export async function events(record: Redis, run: string): Promise<RecordedEvent[]> {
  return (await record.lrange(`${run}:events`, 0, -1)).map((l) => JSON.parse(l) as RecordedEvent);
}

/** Removes every key of a run from the record Redis. */
export async function cleanRun(record: Redis, run: string, prefix?: string): Promise<void> {
  for (const pattern of [`${run}:*`, ...(prefix ? [`${prefix}:*`] : [])]) {
    const keys = await record.keys(pattern);
    if (keys.length > 0) await record.del(...keys);
  }
}
