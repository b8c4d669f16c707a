/** A shard loop as the watchdog sees it. */
export interface Watched {
  /** Last time the loop made progress: a GetRecords answer, a counted attempt, a checkpoint. */
  progressAt(): number;
}

/**
 * The loops that made no progress for `limitMs` (a handler that never resolves even after its
 * abort, a Redis or Kinesis call that hangs): their leases must be given up, not renewed forever.
 * Pure.
 */
export function stalledLoops<T extends Watched>(
  loops: Iterable<T>,
  now: number,
  limitMs: number,
): T[] {
  const stalled: T[] = [];
  for (const loop of loops) if (now - loop.progressAt() >= limitMs) stalled.push(loop);
  return stalled;
}

/**
 * The default no-progress limit: a handler may run `handlerTimeoutMs`, then its abort gets two
 * lease periods to take effect before the loop counts as hung.
 */
export function defaultWatchdogMs(handlerTimeoutMs: number, leaseMs: number): number {
  return handlerTimeoutMs + 2 * leaseMs;
}

/**
 * When an instance must stop its own shard loops: a lease renewed at `renewSentAt` (local clock,
 * taken before the call, so Redis's expiry is no earlier than this plus `leaseMs`) is given up a
 * safety margin before it can expire, so the loop has ended before a peer may claim the shard.
 * Pure.
 */
export function selfFenceDeadline(renewSentAt: number, leaseMs: number, marginMs: number): number {
  return renewSentAt + leaseMs - Math.min(marginMs, Math.floor(leaseMs / 2));
}
