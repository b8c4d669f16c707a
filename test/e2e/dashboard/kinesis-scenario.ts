// The dashboard's Kinesis page against kinesalite and the machine's Redis: a real consumer holds
// the leases, and the page must show the owners and checkpoints the lease store holds.

import { ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createActivityTracker } from '@mqkit/dashboard';
import { createKinesisQueue } from '@mqkit/kinesis';
import { createMemoryQueue } from '@mqkit/memory';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import {
  plainKinesis,
  probeRedis,
  REDIS_URL,
  startKinesis,
  unique,
  waitFor,
} from '../../../packages/kinesis/test/support.js';
import { AUTHORISED, consoleErrors, mount, screenshot, seriousViolations } from './browser.js';

/** `undefined` when Redis answers (kinesalite starts in-process), else why not. */
export const kinesisUnreachable = (): Promise<string | undefined> => probeRedis();

const silent = pino({ level: 'silent' });

export function defineKinesisScenario(browser: () => Browser): void {
  it('the Kinesis page shows the owners, fences and checkpoints the lease store holds, and the live instances', async () => {
    const kinesis = await startKinesis();
    const redis = new Redis(REDIS_URL);
    const client = plainKinesis(kinesis.endpoint);
    const keyPrefix = unique('mqkit-dash');
    const queue = unique('dashstream');
    const activity = createActivityTracker();
    const mq = createKinesisQueue({
      kinesis: client,
      redis,
      keyPrefix,
      autoCreate: { shardCount: 2 },
      logger: silent,
      lifecycle: activity,
    });
    let handled = 0;
    const consumer = mq.consume(queue, async (messages) => {
      handled += messages.length;
    });
    // The overview needs a queue instance too: an empty in-memory one.
    const local = createMemoryQueue({ logger: silent });
    const site = await mount({
      queues: local,
      logger: silent,
      activity,
      kinesis: { kinesis: client, redis, keyPrefix, queues: [queue] },
    });
    const context = await browser().newContext({
      extraHTTPHeaders: AUTHORISED,
      viewport: { width: 1280, height: 800 },
    });
    try {
      await mq.publish(
        queue,
        Array.from({ length: 10 }, (_, i) => ({
          type: 't',
          payload: { i },
          partitionKey: `k${i}`,
        })),
      );
      await waitFor(() => handled >= 10, 30_000, '10 records handled');
      const leaseKey = (shard: string) => `${keyPrefix}:{${queue}}:lease:${shard}`;
      const checkpointKey = (shard: string) => `${keyPrefix}:{${queue}}:checkpoint:${shard}`;
      const shards = ['shardId-000000000000', 'shardId-000000000001'];
      await waitFor(
        async () => {
          for (const s of shards)
            if ((await redis.hget(checkpointKey(s), 'position')) === null) return false;
          return true;
        },
        15_000,
        'both checkpoints',
      );
      const page = await context.newPage();
      const errors = consoleErrors(page);
      await page.goto(`${site.url}/kinesis`);
      for (const shard of shards) {
        const lease = await redis.hgetall(leaseKey(shard));
        expect(lease.owner).toBeTruthy();
        const row = page.locator(`tr[data-shard="${shard}"]`);
        await expect(row.locator('[data-owner]').textContent()).resolves.toBe(lease.owner);
        const cells = await row.locator('td').allTextContents();
        expect(cells).toContain(String(lease.fence));
        expect(cells).toContain((await redis.hget(checkpointKey(shard), 'position')) as string);
      }
      const members = await redis.zrange(`${keyPrefix}:{${queue}}:instances`, '0', '-1');
      expect(members.length).toBeGreaterThan(0);
      for (const id of members) {
        await expect(page.locator('table.instances th', { hasText: id }).count()).resolves.toBe(1);
      }
      expect(await seriousViolations(page)).toEqual([]);

      // Resharding: split shard 0; the page shows the closed parent and its two children.
      const stream = (await client.send(new ListShardsCommand({ StreamName: queue }))).Shards ?? [];
      const range = stream[0]?.HashKeyRange;
      const middle =
        (BigInt(range?.StartingHashKey ?? '0') + BigInt(range?.EndingHashKey ?? '0')) / 2n;
      await client.send(
        new SplitShardCommand({
          StreamName: queue,
          ShardToSplit: shards[0],
          NewStartingHashKey: middle.toString(),
        }),
      );
      await page.reload();
      const parentRow = await page.locator(`tr[data-shard="${shards[0]}"] td`).allTextContents();
      expect(parentRow).toContain('closed');
      expect(parentRow.join(' ')).toContain('shardId-000000000002 shardId-000000000003');
      for (const child of ['shardId-000000000002', 'shardId-000000000003']) {
        const cells = await page.locator(`tr[data-shard="${child}"] td`).allTextContents();
        expect(cells[0]).toBe(shards[0]);
        expect(cells).toContain('open');
      }
      await screenshot(page, 'kinesis');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await site.close();
      await consumer.stop();
      await mq.close({ timeoutMs: 0 });
      await local.close();
      client.destroy();
      const keys = await redis.keys(`${keyPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await kinesis.stop();
    }
  }, 90_000);
}
