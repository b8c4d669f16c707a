import { ShutdownError } from '../errors.js';
import type { HandlerTraceInfo } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { Handler, HandlerContext, Message } from '../types.js';
import type { Claim } from './backend.js';
import type { ListLinks, RunList } from './run-list.js';

/**
 * Where a handler call stands: running; settled (`done`); failed by the timeout sweep
 * (`timedOut`); its lease gone (`lost`); aborted by `stop()` (`aborted`, its result still
 * applies); or given up after ignoring the abort (`abandoned`).
 */
export type RunState = 'running' | 'timedOut' | 'lost' | 'aborted' | 'abandoned' | 'done';

/** One handler call of the consume loop: its batch, timing, state and abort signal. */
export class HandlerRun<C extends Claim> implements ListLinks<HandlerRun<C>> {
  state: RunState = 'running';
  /** @internal Links of the loop's {@link RunList} of running calls. */
  listPrev: HandlerRun<C> | undefined = undefined;
  /** @internal */
  listNext: HandlerRun<C> | undefined = undefined;
  /** @internal */
  listed = false;
  /** The frozen context handed to the handler. */
  readonly context: HandlerContext;
  private controller: AbortController | undefined;
  private abortReason: unknown;

  constructor(
    readonly claims: C[],
    readonly messages: Message[],
    readonly startedAt: number,
    queue: string,
    consumerId: string,
  ) {
    this.context = new RunContext(this, queue, consumerId);
  }

  /** True while the run holds its leases (running, or aborted by stop and still settling). */
  get holdsLeases(): boolean {
    return this.state === 'running' || this.state === 'aborted';
  }

  // Created on first access: most handlers never look at the signal, and an AbortController per
  // batch is measurable at hundreds of thousands of messages per second.
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts the handler's signal with `reason` (once; later reasons are ignored). */
  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

/** `{ signal, queue, consumerId }`, frozen: a handler cannot reach or change the loop's state. */
class RunContext implements HandlerContext {
  readonly #run: HandlerRun<Claim>;

  constructor(
    run: HandlerRun<Claim>,
    readonly queue: string,
    readonly consumerId: string,
  ) {
    this.#run = run;
    Object.freeze(this);
  }

  get signal(): AbortSignal {
    return this.#run.signal;
  }
}

/**
 * Every `min(1000, max(5, timeoutMs / 4))` ms, calls `onTimeout` for each run still `running`
 * past its deadline (the caller fails it and frees its slot). The interval is unref'd; clear it
 * with `clearInterval`.
 */
export function startTimeoutSweep<C extends Claim>(
  running: Iterable<HandlerRun<C>>,
  timeoutMs: number,
  onTimeout: (run: HandlerRun<C>) => void,
): NodeJS.Timeout {
  const every = Math.min(1_000, Math.max(5, Math.floor(timeoutMs / 4)));
  const timer = setInterval(() => {
    const now = Date.now();
    // The deadline is computed here, not stored per run: a field fewer on every handler call.
    const startedBefore = now - timeoutMs;
    for (const run of running)
      if (run.state === 'running' && run.startedAt <= startedBefore) onTimeout(run);
  }, every);
  timer.unref();
  return timer;
}

/** Resolves once `running` is empty, or after `timeoutMs` at the latest (checks every ≤ 10 ms). */
export function whenEmpty(running: { readonly size: number }, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (running.size === 0 || Date.now() >= deadline) resolve();
      else setTimeout(check, Math.min(10, Math.max(1, deadline - Date.now())));
    };
    check();
  });
}

/**
 * The end of `stop()` for running handlers: waits up to `timeoutMs` for them to finish, then
 * aborts the rest with a {@link ShutdownError} and waits `graceMs` more; a handler still running
 * after that is `abandoned` (its leases lapse and its messages are redelivered). Leaves `running`
 * empty.
 */
export async function settleRunning<C extends Claim>(
  running: RunList<HandlerRun<C>>,
  timeoutMs: number,
  graceMs: number,
  logger: Logger,
  where: { readonly queue: string; readonly consumerId: string },
): Promise<void> {
  await whenEmpty(running, timeoutMs);
  if (running.size === 0) return;
  logger.warn({ ...where, count: running.size }, 'stop timeout reached; aborting running handlers');
  for (const run of running) {
    if (run.state !== 'running') continue;
    run.state = 'aborted';
    run.abort(new ShutdownError());
  }
  await whenEmpty(running, graceMs);
  for (const run of running) {
    run.state = 'abandoned';
    logger.warn(
      { ...where, count: run.claims.length },
      'handler ignored its abort signal; its messages will be redelivered after the lease expires',
    );
  }
  running.clear();
}

/**
 * Calls `handler` for `run` inside the lifecycle's `aroundHandler` hook. Apart from the loop's
 * `execute`: a closure over `run` there would cost every handler call a context, hook or not.
 */
export function callAround(
  around: <T>(info: HandlerTraceInfo, run: () => Promise<T>) => Promise<T>,
  where: { readonly provider: string; readonly queue: string; readonly consumerId: string },
  handler: Handler,
  run: HandlerRun<Claim>,
): Promise<unknown> {
  const { provider, queue, consumerId } = where;
  return around({ provider, queue, consumerId, messages: run.messages }, async () =>
    handler(run.messages, run.context),
  );
}
