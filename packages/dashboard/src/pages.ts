import {
  assertKnownQueue,
  inspectDeadLetter,
  instanceOverview,
  listDeadLetters,
  type OperatorFilter,
  parseTime,
  queueOverview,
  shardOverview,
} from '@mqkit/cli/actions';
import { ValidationError } from '@mqkit/core';
import type { ResolvedOptions } from './options.js';
import { redactPayload } from './redact.js';
import { ratesOf, type StatsSampler } from './sampler.js';
import { browserBody, type FilterFields, inspectBody } from './views/dead-letters.js';
import type { SafeHtml } from './views/html.js';
import { kinesisBody, type StreamView } from './views/kinesis.js';
import type { ViewContext } from './views/layout.js';
import { overviewBody } from './views/overview.js';
import { queueBody } from './views/queue.js';

/** Throughput and failure rate cover this window of samples. */
export const RATE_WINDOW_MS = 5 * 60_000;

/** What page handlers share. */
export interface PageDeps {
  readonly options: ResolvedOptions;
  readonly sampler: StatsSampler;
  readonly names: () => Promise<string[]>;
}

/** Overview: `stats()` of every queue now (recorded as a sample), with rates from the history. */
export async function overviewPage(deps: PageDeps, ctx: ViewContext, url: URL): Promise<SafeHtml> {
  const stats = await queueOverview(deps.options.queue, await deps.names());
  for (const s of stats) deps.sampler.record(s);
  const rows = stats.map((s) => ({
    stats: s,
    rates: ratesOf(deps.sampler.history(s.queue), RATE_WINDOW_MS, deps.options.activity?.startedAt),
  }));
  return overviewBody(
    ctx,
    rows,
    url.searchParams.get('q') ?? '',
    deps.options.activity !== undefined,
  );
}

/** A queue's page. */
export async function queuePage(
  deps: PageDeps,
  ctx: ViewContext,
  queue: string,
  url: URL,
): Promise<SafeHtml> {
  const q = deps.options.queue;
  // A typo must read as "unknown queue", not as an empty one.
  if (!deps.options.queueNames.includes(queue)) await assertKnownQueue(q, queue);
  const [stats] = await queueOverview(q, [queue]);
  if (stats === undefined) throw new ValidationError(`no stats for "${queue}"`);
  deps.sampler.record(stats);
  const recent = await listDeadLetters(q, queue, { limit: 10, payloads: false }).catch(() => []);
  const history = deps.sampler.history(queue);
  return queueBody(
    ctx,
    stats,
    ratesOf(history, RATE_WINDOW_MS, deps.options.activity?.startedAt),
    history,
    recent,
    noticeOf(url),
  );
}

/** Pure: the filter fields of a query string or form. */
export function filterFields(params: URLSearchParams): FilterFields {
  const get = (k: string) => (params.get(k) ?? '').trim();
  return { type: get('type'), since: get('since'), until: get('until'), error: get('error') };
}

/** Pure: the operator filter of the fields (times parsed relative to `now`). */
export function operatorFilter(f: FilterFields, now: number): OperatorFilter {
  return {
    ...(f.type ? { type: f.type } : {}),
    ...(f.since ? { since: parseTime(f.since, 'Since', now) } : {}),
    ...(f.until ? { until: parseTime(f.until, 'Until', now) } : {}),
    ...(f.error ? { errorText: f.error } : {}),
  };
}

const intParam = (url: URL, name: string, fallback: number, min: number, max: number): number => {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ValidationError(`"${name}" must be an integer from ${min} to ${max}`);
  return n;
};

const NOTICES: Record<string, string> = { replay: 'Replayed', purge: 'Purged' };
/** Pure: the notice a redirect after an action carries (`?done=replay&n=3`). */
export function noticeOf(url: URL): string | undefined {
  const verb = NOTICES[url.searchParams.get('done') ?? ''];
  const n = Number(url.searchParams.get('n') ?? '0');
  return verb ? `${verb} ${n} dead letter${n === 1 ? '' : 's'}.` : undefined;
}

/**
 * One page of the dead-letter browser: `limit + 1` entries asked at `offset` (the extra one
 * says whether a next page exists), never the whole list.
 */
export async function browserPage(
  deps: PageDeps,
  ctx: ViewContext,
  queue: string,
  url: URL,
): Promise<SafeHtml> {
  const q = deps.options.queue;
  const limit = intParam(url, 'limit', 50, 1, 500);
  const offset = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const fields = filterFields(url.searchParams);
  const list = await listDeadLetters(q, queue, {
    filter: operatorFilter(fields, Date.now()),
    limit: limit + 1,
    offset,
    payloads: false,
  });
  const total = await q.deadLetters.count(queue).catch(() => null);
  return browserBody(
    ctx,
    queue,
    { list: list.slice(0, limit), offset, limit, more: list.length > limit, total },
    fields,
    noticeOf(url),
  );
}

/** One dead letter, its payload shown (redacted) only when `showPayloads` is on. */
export async function inspectPage(
  deps: PageDeps,
  ctx: ViewContext,
  queue: string,
  id: string,
): Promise<SafeHtml> {
  const payloads = deps.options.payloads;
  const d = await inspectDeadLetter(deps.options.queue, queue, id, {
    payloads: payloads !== undefined,
  });
  const payload =
    payloads === undefined
      ? undefined
      : (JSON.stringify(redactPayload(d.message.payload, payloads), null, 2) ?? 'undefined');
  return inspectBody(ctx, queue, d, payload);
}

/** The Kinesis page: shards and instances of every configured queue, through the CLI's actions. */
export async function kinesisPage(deps: PageDeps): Promise<SafeHtml> {
  const k = deps.options.kinesis;
  if (k === undefined) return kinesisBody(undefined);
  const streams = await Promise.all(
    k.queues.map(async (queue): Promise<StreamView> => {
      const target = {
        kinesis: k.kinesis,
        redis: k.redis,
        queue,
        namespace: k.namespace,
        keyPrefix: k.keyPrefix,
        stream: k.streams?.[queue],
      };
      const lag = deps.options.activity?.shardLag(queue) ?? new Map();
      try {
        const [shards, instances] = await Promise.all([
          shardOverview(target),
          instanceOverview(target),
        ]);
        return { queue, shards, instances, lag };
      } catch (error) {
        deps.options.logger.warn(
          { queue, err: (error as Error).message },
          '[@mqkit/dashboard] Kinesis overview failed',
        );
        return {
          queue,
          shards: [],
          instances: [],
          lag,
          error: `Could not read this stream: ${(error as Error).message}`,
        };
      }
    }),
  );
  return kinesisBody(streams);
}
