import type { DeadLetter, QueueStats } from '@mqkit/core';
import { CSRF_FIELD } from '../csrf.js';
import type { Rates, Sample } from '../sampler.js';
import { statsChart } from './chart.js';
import { deadLetterTable } from './dead-letters.js';
import { count, duration, percent, time } from './format.js';
import { html, type SafeHtml } from './html.js';
import { href, type ViewContext } from './layout.js';

/** A queue's page: current stats, history chart, recent dead letters, replay-all / purge-all. */
export function queueBody(
  ctx: ViewContext,
  stats: QueueStats,
  rates: Rates,
  history: readonly Sample[],
  recent: readonly DeadLetter[],
  notice: string | undefined,
): SafeHtml {
  const q = stats.queue;
  const dlq = href(ctx, 'queues', q, 'dead-letters');
  return html`<p class="crumbs"><a href="${ctx.base}/">Queues</a></p>
<h1>${q}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<dl class="stats">
<div><dt>Ready</dt><dd data-stat="ready">${count(stats.ready)}</dd></div>
<div><dt>Delayed</dt><dd data-stat="delayed">${count(stats.delayed)}</dd></div>
<div><dt>In flight</dt><dd data-stat="inFlight">${count(stats.inFlight)}</dd></div>
<div><dt>Dead</dt><dd data-stat="deadLettered">${count(stats.deadLettered)}</dd></div>
<div><dt>Oldest ready</dt><dd>${duration(stats.oldestReadyAgeMs)}</dd></div>
<div><dt>Handled / min</dt><dd>${rates.perMinute === undefined ? '—' : rates.perMinute.toFixed(1)}</dd></div>
<div><dt>Failure rate</dt><dd>${percent(rates.failureRate)}</dd></div>
</dl>
<p class="hint">As of ${time(stats.at)}.</p>
<h2>History</h2>
${statsChart(history)}
<h2>Recent dead letters</h2>
${deadLetterTable(ctx, q, recent, false)}
<p><a href="${dlq}">Browse all dead letters of ${q}</a></p>
${
  ctx.readOnly || (stats.deadLettered ?? 0) === 0
    ? ''
    : html`<form method="post" action="${dlq}/action" class="actions">
<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}">
<input type="hidden" name="back" value="queue">
<button type="submit" name="op" value="replay:matching">Replay all dead letters</button>
<button type="submit" name="op" value="purge:matching" class="danger">Purge all dead letters</button>
</form>`
}`;
}
