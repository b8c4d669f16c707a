import { ValidationError } from '@mqkit/core';
import type { Command } from 'commander';
import {
  instanceOverview,
  type KinesisTarget,
  releaseLease,
  setCheckpoint,
  shardOverview,
} from './actions/kinesis/shards.js';
import { confirm, type PromptIO } from './confirm.js';
import type { OpenQueue } from './connect/connection.js';
import type { GlobalFlags } from './program.js';
import { duration, table } from './render.js';

type Run = (
  command: Command,
  action: (open: OpenQueue, flags: GlobalFlags) => Promise<void>,
) => Promise<void>;

function targetOf(
  open: OpenQueue,
  queue: string,
  flags: GlobalFlags & { stream?: string },
): KinesisTarget {
  if (open.kinesis === undefined) {
    throw new ValidationError(
      `shard commands need Kinesis: connect with a redis:// URL (${open.kind} was given)`,
    );
  }
  return {
    kinesis: open.kinesis.client,
    redis: open.kinesis.redis,
    queue,
    namespace: flags.namespace,
    keyPrefix: flags.keyPrefix,
    stream: flags.stream,
  };
}

const SEQUENCE = /^\d{1,128}$/;

/** `shards`, `instances`, `lease release` and `checkpoint set`: the Kinesis commands. */
export function addKinesisCommands(
  program: Command,
  run: Run,
  out: (text: string) => void,
  io: PromptIO,
): void {
  program
    .command('shards')
    .description(
      "show a Kinesis queue's shards: parent, owner, fence, lease expiry, checkpoint, lag and checkpoint age",
    )
    .argument('<queue>', 'queue name as the app names it (the stream is <namespace>.<queue>)')
    .option('--stream <name>', 'the stream, when the app maps the queue explicitly')
    .action(async (queue: string, o: { stream?: string }, command: Command) => {
      await run(command, async (open, flags) => {
        const shards = await shardOverview(targetOf(open, queue, { ...flags, ...o }));
        if (flags.json) return out(JSON.stringify(shards));
        const now = Date.now();
        out(
          table(
            [
              'SHARD',
              'PARENT',
              'STATE',
              'OWNER',
              'FENCE',
              'LEASE',
              'CHECKPOINT',
              'LAG',
              'CHECKPOINT-AGE',
            ],
            shards.map((s) => [
              s.shardId,
              [s.parentShardId, s.adjacentParentShardId].filter(Boolean).join('+') || '-',
              s.open ? 'open' : 'closed',
              s.owner ?? '-',
              s.fence === undefined ? '-' : String(s.fence),
              s.leaseExpiresAt === undefined || s.owner === undefined
                ? 'free'
                : s.leaseLive
                  ? `${duration(s.leaseExpiresAt.getTime() - now)} left`
                  : 'expired',
              s.checkpoint ?? '-',
              s.lagMs !== undefined ? duration(s.lagMs) : s.checkpoint === undefined ? '-' : '?',
              s.checkpointAgeMs === undefined ? '-' : duration(s.checkpointAgeMs),
            ]),
          ),
        );
      });
    });

  program
    .command('instances')
    .description(
      "show a Kinesis queue's consumer instances: last heartbeat and the shards each holds",
    )
    .argument('<queue>', 'queue name as the app names it')
    .option('--stream <name>', 'the stream, when the app maps the queue explicitly')
    .action(async (queue: string, o: { stream?: string }, command: Command) => {
      await run(command, async (open, flags) => {
        const instances = await instanceOverview(targetOf(open, queue, { ...flags, ...o }));
        out(
          flags.json
            ? JSON.stringify(instances)
            : table(
                ['INSTANCE', 'LAST-HEARTBEAT', 'SHARDS'],
                instances.map((i) => [
                  i.id,
                  `${duration(i.heartbeatAgeMs)} ago`,
                  i.shards.length > 0 ? i.shards.join(',') : '-',
                ]),
              ),
        );
      });
    });

  program
    .command('lease')
    .description('repair shard leases')
    .command('release')
    .description('free a shard lease now (its holder stops at its next renewal); the fence is kept')
    .argument('<queue>', 'queue name as the app names it')
    .argument('<shard>', 'shard id, e.g. shardId-000000000001')
    .option('--stream <name>', 'the stream, when the app maps the queue explicitly')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      async (
        queue: string,
        shard: string,
        o: { stream?: string; yes?: boolean },
        command: Command,
      ) => {
        await run(command, async (open, flags) => {
          const target = targetOf(open, queue, { ...flags, ...o });
          await confirm(`Release the lease of ${shard} of "${queue}"?`, o.yes === true, io);
          const previous = await releaseLease(target, shard);
          out(
            flags.json
              ? JSON.stringify({ released: shard, previousOwner: previous || null })
              : `released ${shard}${previous ? ` (was held by ${previous})` : ' (it was free)'}`,
          );
        });
      },
    );

  program
    .command('checkpoint')
    .description('repair shard checkpoints')
    .command('set')
    .description(
      "move a shard's checkpoint (backwards re-reads records); refused while a live consumer holds the shard unless --force",
    )
    .argument('<queue>', 'queue name as the app names it')
    .argument('<shard>', 'shard id, e.g. shardId-000000000001')
    .argument('<sequence>', 'sequence number to resume after, or SHARD_END')
    .option('--stream <name>', 'the stream, when the app maps the queue explicitly')
    .option('--force', 'write even while a live consumer holds the lease')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      async (
        queue: string,
        shard: string,
        sequence: string,
        o: { stream?: string; force?: boolean; yes?: boolean },
        command: Command,
      ) => {
        await run(command, async (open, flags) => {
          if (sequence !== 'SHARD_END' && !SEQUENCE.test(sequence)) {
            throw new ValidationError(
              `sequence "${sequence}" is not a Kinesis sequence number (decimal digits) or SHARD_END`,
            );
          }
          const target = targetOf(open, queue, { ...flags, ...o });
          await confirm(
            `Set the checkpoint of ${shard} of "${queue}" to ${sequence}?`,
            o.yes === true,
            io,
          );
          const previous = await setCheckpoint(target, shard, sequence, o.force === true);
          out(
            flags.json
              ? JSON.stringify({ shard, checkpoint: sequence, previous: previous || null })
              : `checkpoint of ${shard} set to ${sequence} (was ${previous || 'unset'})`,
          );
        });
      },
    );
}
