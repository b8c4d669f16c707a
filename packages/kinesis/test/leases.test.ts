import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import {
  createRedisCheckpointStore,
  createRedisLeaseStore,
  queueKeys,
  SHARD_END,
} from '@mqkit/kinesis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeRedis, REDIS_URL, unique } from './support.js';

const unreachable = await probeRedis();
if (unreachable) console.log(`SKIPPED: kinesis leases — ${unreachable}`);

describe.runIf(unreachable === undefined)('kinesis leases and checkpoints (Lua on Redis)', () => {
  let redis: Redis;
  const prefix = unique('mqkit-lease');
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  const stores = () => {
    const keys = queueKeys(prefix, undefined, unique('q'));
    return {
      keys,
      leases: createRedisLeaseStore(redis, keys),
      checkpoints: createRedisCheckpointStore(redis, keys),
    };
  };

  it('a live lease cannot be acquired by a peer; each acquire gets a greater fence', async () => {
    const { leases } = stores();
    const a = await leases.acquire('shard-0', 'a', 5_000);
    expect(a?.fence).toBe(1);
    expect(await leases.acquire('shard-0', 'b', 5_000)).toBeUndefined();
    expect(await leases.release(a as NonNullable<typeof a>)).toBe(true);
    const b = await leases.acquire('shard-0', 'b', 5_000);
    expect(b?.fence).toBe(2);
  });

  it('a stale owner cannot renew, release or checkpoint once a peer took the expired lease', async () => {
    const { leases, checkpoints } = stores();
    const stale = await leases.acquire('shard-0', 'a', 150);
    if (!stale) throw new Error('no lease');
    expect(await checkpoints.write(stale, '100')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Expired on Redis's clock: even before a peer acquires, the owner cannot renew or write.
    expect(await leases.renew(stale, 5_000)).toBe('expired');
    expect(await checkpoints.write(stale, '200')).toBe('expired');
    const peer = await leases.acquire('shard-0', 'b', 5_000);
    expect(peer?.fence).toBe(stale.fence + 1);
    expect(await leases.renew(stale, 5_000)).toBe('not-owner');
    expect(await checkpoints.write(stale, '300')).toBe('not-owner');
    expect(await checkpoints.write(stale, '50')).toBe('not-owner');
    expect(await leases.release(stale)).toBe(false);
    expect((await checkpoints.read('shard-0'))?.position).toBe('100');
    expect(await checkpoints.write(peer as NonNullable<typeof peer>, '300')).toBeUndefined();
  });

  it('a checkpoint only moves forward (compared as integers) and never overwrites SHARD_END', async () => {
    const { leases, checkpoints } = stores();
    const lease = await leases.acquire('shard-0', 'a', 5_000);
    if (!lease) throw new Error('no lease');
    expect(
      await checkpoints.write(lease, '49590338271490256608559692538361571095921575989136588898'),
    ).toBeUndefined();
    // Shorter is smaller even though "9…" sorts after "4…" as text.
    expect(
      await checkpoints.write(lease, '9959033827149025660855969253836157109592157598913658889'),
    ).toBe('not-forward');
    expect(
      await checkpoints.write(lease, '49590338271490256608559692538361571095921575989136588897'),
    ).toBe('not-forward');
    expect(
      await checkpoints.write(lease, '49590338271490256608559692538361571095921575989136588899'),
    ).toBeUndefined();
    expect(await checkpoints.write(lease, SHARD_END)).toBeUndefined();
    expect(
      await checkpoints.write(lease, '59590338271490256608559692538361571095921575989136588899'),
    ).toBe('shard-end');
    expect((await checkpoints.read('shard-0'))?.position).toBe(SHARD_END);
  });

  it('counts deliveries of the record after the checkpoint across owners, and resets when the checkpoint moves', async () => {
    const { leases, checkpoints } = stores();
    const first = await leases.acquire('shard-0', 'a', 5_000);
    if (!first) throw new Error('no lease');
    expect(await checkpoints.countAttempt(first, '7', 3, 1)).toBe(1);
    await leases.release(first);
    const second = await leases.acquire('shard-0', 'b', 5_000);
    if (!second) throw new Error('no lease');
    expect(await checkpoints.countAttempt(first, '7', 3, 1)).toBe('not-owner');
    expect(await checkpoints.countAttempt(second, '7', 3, 1)).toBe(2);
    expect((await checkpoints.read('shard-0'))?.pending).toEqual({
      sequenceNumber: '7',
      attempts: 2,
      count: 3,
    });
    expect(await checkpoints.write(second, '7')).toBeUndefined();
    expect((await checkpoints.read('shard-0'))?.pending).toBeUndefined();
  });

  it('reloads its scripts when Redis answers NOSCRIPT (a throw-away redis-server, SCRIPT FLUSH)', async (ctx) => {
    const port = await freePort();
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const failed = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    if (failed) {
      console.log('SKIPPED: NOSCRIPT reload — redis-server binary not available');
      return ctx.skip();
    }
    const own = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    try {
      for (let i = 0; ; i++) {
        try {
          await own.connect();
          break;
        } catch (error) {
          if (i > 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const keys = queueKeys('mqkit', undefined, 'flush');
      const leases = createRedisLeaseStore(own, keys);
      const lease = await leases.acquire('shard-0', 'a', 5_000);
      if (!lease) throw new Error('no lease');
      await own.script('FLUSH');
      expect(await leases.renew(lease, 5_000)).toBeUndefined();
      expect(await createRedisCheckpointStore(own, keys).write(lease, '5')).toBeUndefined();
    } finally {
      own.disconnect();
      server.kill('SIGTERM');
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}
