import type { QueueStats } from '@mqkit/core';
import type { Rates } from '../sampler.js';
import { count, duration, percent } from './format.js';
import { html, type SafeHtml } from './html.js';
import { href, type ViewContext } from './layout.js';

/** One row of the overview: a queue's stats and rates. */
export interface OverviewRow {
  readonly stats: QueueStats;
  readonly rates: Rates;
}

/** Backlog age past which a queue needs attention. */
const AGING_MS = 60_000;
/** Failure rate past which a queue needs attention. */
const FAILING = 0.05;

/** Pure: why a queue needs attention, most urgent first (empty when it looks healthy). */
export function concerns(row: OverviewRow): string[] {
  const out: string[] = [];
  if ((row.rates.failureRate ?? 0) > FAILING) out.push('failing');
  if ((row.stats.deadLettered ?? 0) > 0) out.push('dead letters');
  if ((row.stats.oldestReadyAgeMs ?? 0) > AGING_MS) out.push('backlog aging');
  return out;
}

const score = (row: OverviewRow): number =>
  ((row.rates.failureRate ?? 0) > FAILING ? 4 : 0) +
  ((row.stats.deadLettered ?? 0) > 0 ? 2 : 0) +
  ((row.stats.oldestReadyAgeMs ?? 0) > AGING_MS ? 1 : 0);

/**
 * Pure: the rows sorted by what needs attention — failing, then dead letters, then an aging
 * backlog; ties by more dead letters, older backlog, then name.
 */
export function byAttention(rows: readonly OverviewRow[]): OverviewRow[] {
  return [...rows].sort(
    (a, b) =>
      score(b) - score(a) ||
      (b.stats.deadLettered ?? 0) - (a.stats.deadLettered ?? 0) ||
      (b.stats.oldestReadyAgeMs ?? 0) - (a.stats.oldestReadyAgeMs ?? 0) ||
      a.stats.queue.localeCompare(b.stats.queue),
  );
}

/** Pure: what the throughput columns cover, or why they are empty. */
function rateHint(rows: readonly OverviewRow[], tracked: boolean): string {
  if (!tracked)
    return 'Throughput and failure rate need an activity tracker (createActivityTracker) attached to the queue.';
  const window = Math.max(0, ...rows.map((r) => r.rates.windowMs));
  return window === 0
    ? 'Throughput and failure rate appear after the second stats sample.'
    : `Throughput and failure rate cover the last ${duration(window)}, sampled in this process.`;
}

/** The overview page: every queue, sorted by attention, filterable by name. */
export function overviewBody(
  ctx: ViewContext,
  rows: readonly OverviewRow[],
  filter: string,
  tracked: boolean,
): SafeHtml {
  const shown = byAttention(rows).filter((r) =>
    r.stats.queue.toLowerCase().includes(filter.toLowerCase()),
  );
  return html`<h1>Queues</h1>
<form class="filter" method="get" action="${ctx.base}/" role="search">
<label for="queue-filter">Filter queues by name</label>
<input id="queue-filter" name="q" type="search" value="${filter}" data-filter-table="queues" autocomplete="off">
<button type="submit">Filter</button>
</form>
<p class="hint">${rows.length} queue${rows.length === 1 ? '' : 's'}, sorted by what needs attention. ${rateHint(rows, tracked)}</p>
<div class="table-wrap">
<table id="queues" class="cards">
<caption class="visually-hidden">Queues</caption>
<thead><tr><th scope="col">Queue</th><th scope="col" class="num">Ready</th><th scope="col" class="num">Delayed</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Dead</th><th scope="col" class="num">Oldest ready</th><th scope="col" class="num">Handled / min</th><th scope="col" class="num">Failure rate</th><th scope="col">Status</th></tr></thead>
<tbody>
${shown.map((r) => {
  const why = concerns(r);
  return html`<tr data-name="${r.stats.queue}">
<th scope="row"><a href="${href(ctx, 'queues', r.stats.queue)}">${r.stats.queue}</a></th>
<td data-label="Ready" class="num" data-stat="ready">${count(r.stats.ready)}</td>
<td data-label="Delayed" class="num" data-stat="delayed">${count(r.stats.delayed)}</td>
<td data-label="In flight" class="num" data-stat="inFlight">${count(r.stats.inFlight)}</td>
<td data-label="Dead" class="num" data-stat="deadLettered">${(r.stats.deadLettered ?? 0) > 0 ? html`<a href="${href(ctx, 'queues', r.stats.queue, 'dead-letters')}">${count(r.stats.deadLettered)}</a>` : count(r.stats.deadLettered)}</td>
<td data-label="Oldest ready" class="num">${duration(r.stats.oldestReadyAgeMs)}</td>
<td data-label="Handled / min" class="num">${r.rates.perMinute === undefined ? '—' : r.rates.perMinute.toFixed(1)}</td>
<td data-label="Failure rate" class="num">${percent(r.rates.failureRate)}</td>
<td data-label="Status">${why.length === 0 ? html`<span class="ok">ok</span>` : why.map((w) => html`<span class="warn">${w}</span> `)}</td>
</tr>`;
})}
</tbody>
</table>
</div>
${shown.length === 0 ? html`<p>No queue matches.</p>` : ''}`;
}
