import { errorInfo } from '../error-info.js';
import { LeaseLostError } from '../errors.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { ResolvedConsumeOptions } from '../options.js';
import type { Claim, ConsumerBackend } from './backend.js';
import type { ClaimBuffer } from './claim-buffer.js';
import type { HandlerRun } from './handler-run.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { OutcomeBuffer } from './outcome-buffer.js';
import type { SoloRuns } from './solo-run.js';

/** What {@link keepConsumerLeases} needs from the consume loop. */
export interface ConsumerLeasesParams<C extends Claim> {
  readonly options: Pick<ResolvedConsumeOptions, 'heartbeatIntervalMs' | 'visibilityTimeoutMs'>;
  readonly backend: Pick<ConsumerBackend<C>, 'extend'>;
  readonly running: Iterable<HandlerRun<C>>;
  readonly buffer: ClaimBuffer<C>;
  readonly solo: SoloRuns<C>;
  readonly outcomes: Pick<OutcomeBuffer<C>, 'collectHeld'>;
  readonly where: {
    readonly provider: string;
    readonly queue: string;
    readonly consumerId: string;
  };
  readonly logger: Logger;
  readonly lifecycle: LifecycleDispatcher;
  /** Frees the slot of a run whose lease was lost. */
  readonly finish: (run: HandlerRun<C>) => void;
}

/**
 * The consume loop's heartbeat: extends the lease of everything the consumer holds (running
 * handlers, prefetched claims, a claim waiting for its solo run, outcomes not yet written). A
 * lost lease aborts its handler with `LeaseLostError` and drops prefetched claims; a heartbeat
 * failing for a whole lease gives up everything held, since another consumer may own it now.
 */
export function keepConsumerLeases<C extends Claim>(p: ConsumerLeasesParams<C>): LeaseKeeper<C> {
  const { running, buffer, solo, logger, lifecycle } = p;
  const { provider, queue, consumerId } = p.where;

  function loseLease(run: HandlerRun<C>): void {
    run.state = 'lost';
    run.abort(new LeaseLostError());
    logger.warn(
      { queue, consumerId, count: run.claims.length },
      'lease lost while the handler ran; the messages may be redelivered',
    );
    if (lifecycle.active) {
      for (const claim of run.claims)
        lifecycle.emit({ type: 'leaseLost', provider, queue, lease: claim.id, owner: consumerId });
    }
    p.finish(run);
  }

  return new LeaseKeeper<C>({
    intervalMs: p.options.heartbeatIntervalMs,
    leaseMs: p.options.visibilityTimeoutMs,
    held: () => {
      const held: C[] = [];
      for (const run of running) if (run.holdsLeases) for (const c of run.claims) held.push(c);
      buffer.collect(held);
      if (solo.held !== undefined) held.push(solo.held);
      p.outcomes.collectHeld(held);
      return held;
    },
    extend: (claims, leaseMs) => p.backend.extend(claims, leaseMs),
    onLost: (lost) => {
      const gone = new Set(lost);
      // A prefetched message whose lease lapsed may already be another consumer's: drop it.
      if (buffer.length > 0) buffer.retain((claim) => !gone.has(claim));
      solo.forget(gone);
      for (const run of running)
        if (run.holdsLeases && run.claims.some((c) => gone.has(c))) loseLease(run);
    },
    onFailure: (error, lapsed) => {
      const err = errorInfo(error);
      logger.warn({ queue, consumerId, err }, 'lease heartbeat failed; retrying');
      if (lifecycle.active)
        lifecycle.emit({ type: 'heartbeatFailed', provider, queue, consumerId, error: err });
      // Past the lease, another consumer may own these messages: stop working on them.
      if (lapsed) {
        buffer.clear();
        solo.forget();
        for (const run of running) if (run.holdsLeases) loseLease(run);
      }
    },
  });
}
