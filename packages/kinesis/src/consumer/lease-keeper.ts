import { LeaseLostError, type Logger, ShutdownError } from '@mqkit/core';
import { errorInfo, type LifecycleDispatcher } from '@mqkit/core/provider';
import type { LeaseStore } from '../lease/leases.js';
import { selfFenceDeadline, stalledLoops } from '../watchdog/watchdog.js';
import type { ShardLoop } from './shard-worker.js';

/** A shard loop as the consumer tracks it. */
export type RunningLoop = ShardLoop & {
  /** When the last successful renewal was sent. */
  renewSentAt: number;
  acquiredAt: number;
  /** `leaseLost` was emitted for it already. */
  lostReported: boolean;
};

/** What keeping a consumer's leases needs; `loops` and `blocked` are the consumer's own maps. */
export interface LeaseKeeperContext {
  readonly provider: string;
  readonly queue: string;
  readonly consumerId: string;
  readonly leaseMs: number;
  readonly heartbeatIntervalMs: number;
  /** Instance heartbeat cutoff: past it (plus a margin) the instance stops its own loops. */
  readonly cutoffMs: number;
  readonly watchdogMs: number;
  readonly leases: LeaseStore;
  readonly logger: Logger;
  readonly emit: LifecycleDispatcher['emit'];
  readonly loops: Map<string, RunningLoop>;
  /** Shards not to take again before the given time. */
  readonly blocked: Map<string, number>;
  /** When the last successful instance heartbeat was sent. */
  heartbeatOkAt(): number;
  stopping(): boolean;
}

/**
 * The lease side of a consumer: renews the leases of its running loops, stops the loops that can
 * no longer be trusted (renewals or heartbeats failing past the lease budget, no progress for
 * `watchdogMs`) before a peer may claim their shards, and hands shards off gracefully.
 */
export function createLeaseKeeper(ctx: LeaseKeeperContext): {
  giveUp(loop: RunningLoop, error: LeaseLostError): void;
  handOff(shardId: string): void;
  guard(): void;
  renew(): Promise<void>;
} {
  /**
   * Stops a loop at once: it is no longer renewed, its handler is aborted, and `leaseLost` is
   * reported now (a Redis call it still awaits can only be refused: its lease is fenced).
   */
  function giveUp(loop: RunningLoop, error: LeaseLostError): void {
    const shardId = loop.lease.shardId;
    if (ctx.loops.get(shardId) === loop) ctx.loops.delete(shardId);
    loop.abort(error);
    if (!loop.lostReported) {
      loop.lostReported = true;
      ctx.emit({
        type: 'leaseLost',
        provider: ctx.provider,
        queue: ctx.queue,
        lease: shardId,
        owner: ctx.consumerId,
      });
    }
  }

  /** Lets the loop finish its batch and checkpoint, then release; aborts it if that takes too long. */
  function handOff(shardId: string): void {
    const loop = ctx.loops.get(shardId);
    if (loop === undefined) return;
    loop.handOff();
    const timer = setTimeout(
      () => loop.abort(new ShutdownError()),
      Math.max(1, Math.floor(ctx.leaseMs / 2)),
    );
    timer.unref();
    void loop.done.then(() => clearTimeout(timer));
  }

  /** Stops the loops that can no longer be trusted: stale renewals or heartbeats, no progress. */
  function guard(): void {
    const now = Date.now();
    const margin = Math.min(ctx.heartbeatIntervalMs, 1_000);
    // While stopping, heartbeats end but renewals go on until the loops drained.
    const staleSelf =
      !ctx.stopping() && now >= selfFenceDeadline(ctx.heartbeatOkAt(), ctx.cutoffMs, margin);
    for (const [shardId, loop] of ctx.loops) {
      if (staleSelf || now >= selfFenceDeadline(loop.renewSentAt, ctx.leaseMs, margin))
        giveUp(
          loop,
          new LeaseLostError(
            `lease of shard ${shardId} given up: ${staleSelf ? 'instance heartbeat' : 'renewals'} failing for too long, a peer may take it`,
          ),
        );
    }
    for (const loop of stalledLoops(ctx.loops.values(), now, ctx.watchdogMs)) {
      const shardId = loop.lease.shardId;
      ctx.loops.delete(shardId);
      const error = new LeaseLostError(
        `shard ${shardId} made no progress for ${ctx.watchdogMs} ms (watchdog): lease given up`,
      );
      ctx.emit({
        type: 'backendError',
        provider: ctx.provider,
        queue: ctx.queue,
        operation: 'watchdog',
        error: errorInfo(error),
      });
      ctx.logger.error({ queue: ctx.queue, shardId }, error.message);
      loop.abort(error);
      // Leave it to a peer for a while: this instance's dependency just hung.
      ctx.blocked.set(shardId, now + Math.max(ctx.leaseMs, ctx.watchdogMs));
      void ctx.leases.release(loop.lease).catch(() => {});
    }
  }

  async function renew(): Promise<void> {
    await Promise.all(
      [...ctx.loops.values()].map(async (loop) => {
        const sentAt = Date.now();
        try {
          const rejection = await ctx.leases.renew(loop.lease, ctx.leaseMs);
          if (rejection === undefined) {
            loop.renewSentAt = sentAt;
            ctx.emit({
              type: 'leaseRenewed',
              provider: ctx.provider,
              queue: ctx.queue,
              lease: loop.lease.shardId,
              owner: ctx.consumerId,
            });
            return;
          }
          loop.abort(
            new LeaseLostError(
              `lease of shard ${loop.lease.shardId} lost (${rejection}); its records may be delivered to another consumer`,
            ),
          );
        } catch (error) {
          ctx.emit({
            type: 'heartbeatFailed',
            provider: ctx.provider,
            queue: ctx.queue,
            consumerId: ctx.consumerId,
            error: errorInfo(error),
          });
          // Renewals are retried at the next beat; guard() gives the lease up before it can expire.
        }
      }),
    );
  }

  return { giveUp, handOff, guard, renew };
}
