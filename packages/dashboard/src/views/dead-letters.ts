import type { DeadLetter } from '@mqkit/core';
import { CSRF_FIELD } from '../csrf.js';
import { time } from './format.js';
import { html, type SafeHtml } from './html.js';
import { href, type ViewContext } from './layout.js';

/** The browser's filter as given in the query string (kept as text to refill the form). */
export interface FilterFields {
  readonly type: string;
  readonly since: string;
  readonly until: string;
  readonly error: string;
}

/** Hidden inputs carrying the filter into a form. */
export const filterInputs = (f: FilterFields): SafeHtml =>
  html`${Object.entries(f)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;

/** A compact table of dead letters (optionally with selection checkboxes). */
export function deadLetterTable(
  ctx: ViewContext,
  queue: string,
  list: readonly DeadLetter[],
  selectable: boolean,
): SafeHtml {
  if (list.length === 0) return html`<p>No dead letters.</p>`;
  return html`<div class="table-wrap"><table class="dead-letters cards">
<caption class="visually-hidden">Dead letters of ${queue}</caption>
<thead><tr>${selectable ? html`<th scope="col"><input type="checkbox" data-select-all aria-label="Select every dead letter on this page"></th>` : ''}<th scope="col">Id</th><th scope="col">Type</th><th scope="col">Error</th><th scope="col" class="num">Attempts</th><th scope="col">Dead-lettered</th></tr></thead>
<tbody>
${list.map(
  (d) => html`<tr data-id="${d.message.id}">
${selectable ? html`<td><input type="checkbox" name="ids" value="${d.message.id}" aria-label="Select ${d.message.id}"></td>` : ''}
<th scope="row"><a href="${href(ctx, 'queues', queue, 'dead-letters', d.message.id)}">${d.message.id}</a></th>
<td data-label="Type">${d.message.type}</td>
<td data-label="Error" class="err">${d.error.name}: ${d.error.message}</td>
<td data-label="Attempts" class="num">${d.attempts}</td>
<td data-label="Dead-lettered">${time(d.deadLetteredAt)}</td>
</tr>`,
)}
</tbody></table></div>`;
}

/** Buttons posting a replay or purge of `scope` (selected ids or everything matching). */
export function actionButtons(
  ctx: ViewContext,
  scope: 'selected' | 'matching',
  label: string,
): SafeHtml {
  if (ctx.readOnly) return html``;
  return html`<div class="actions">
<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}">
<button type="submit" name="op" value="replay:${scope}">Replay ${label}</button>
<button type="submit" name="op" value="purge:${scope}" class="danger">Purge ${label}</button>
</div>`;
}

/** The dead-letter browser: filter form, one page of entries, selection actions, pagination. */
export function browserBody(
  ctx: ViewContext,
  queue: string,
  page: {
    list: readonly DeadLetter[];
    offset: number;
    limit: number;
    more: boolean;
    total: number | null;
  },
  filter: FilterFields,
  notice: string | undefined,
): SafeHtml {
  const base = href(ctx, 'queues', queue, 'dead-letters');
  const query = (offset: number) => {
    const q = new URLSearchParams({ ...filter, offset: String(offset), limit: String(page.limit) });
    for (const [k, v] of [...q.entries()]) if (v === '') q.delete(k);
    return `${base}?${q}`;
  };
  const from = page.list.length === 0 ? 0 : page.offset + 1;
  return html`<p class="crumbs"><a href="${ctx.base}/">Queues</a> / <a href="${href(ctx, 'queues', queue)}">${queue}</a></p>
<h1>Dead letters of ${queue}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<form class="filter grid" method="get" action="${base}">
<div><label for="f-type">Type</label><input id="f-type" name="type" value="${filter.type}"></div>
<div><label for="f-since">Since</label><input id="f-since" name="since" value="${filter.since}" placeholder="2h or 2026-12-01T03:00Z"></div>
<div><label for="f-until">Until</label><input id="f-until" name="until" value="${filter.until}" placeholder="15m or ISO time"></div>
<div><label for="f-error">Error text</label><input id="f-error" name="error" value="${filter.error}"></div>
<div><label for="f-limit">Per page</label><select id="f-limit" name="limit">${[25, 50, 100, 500].map((n) => html`<option${n === page.limit ? html` selected` : ''}>${n}</option>`)}</select></div>
<div class="end"><button type="submit">Apply filter</button></div>
</form>
<p class="hint">${page.total === null ? '' : `${page.total.toLocaleString('en-US')} dead letters in this queue. `}Showing ${from}–${page.offset + page.list.length}.</p>
<form method="post" action="${base}/action">
${filterInputs(filter)}
${deadLetterTable(ctx, queue, page.list, !ctx.readOnly)}
${page.list.length > 0 ? actionButtons(ctx, 'selected', 'selected') : ''}
</form>
${!ctx.readOnly && page.list.length > 0 ? html`<form method="post" action="${base}/action">${filterInputs(filter)}${actionButtons(ctx, 'matching', 'all matching')}</form>` : ''}
<nav class="pager" aria-label="Pages">
${page.offset > 0 ? html`<a href="${query(Math.max(0, page.offset - page.limit))}" rel="prev">Previous page</a>` : ''}
${page.more ? html`<a href="${query(page.offset + page.limit)}" rel="next">Next page</a>` : ''}
</nav>`;
}

/** One dead letter: message, last error, attempts, headers and (when enabled) its payload. */
export function inspectBody(
  ctx: ViewContext,
  queue: string,
  d: DeadLetter,
  payload: string | undefined,
): SafeHtml {
  const m = d.message;
  const base = href(ctx, 'queues', queue, 'dead-letters');
  return html`<p class="crumbs"><a href="${ctx.base}/">Queues</a> / <a href="${href(ctx, 'queues', queue)}">${queue}</a> / <a href="${base}">Dead letters</a></p>
<h1>Dead letter ${m.id}</h1>
<dl class="facts">
<dt>Type</dt><dd>${m.type}</dd>
<dt>Attempts</dt><dd>${d.attempts} of ${m.maxAttempts}</dd>
<dt>Created</dt><dd>${time(m.createdAt)}</dd>
<dt>Dead-lettered</dt><dd>${time(d.deadLetteredAt)}</dd>
<dt>Partition key</dt><dd>${m.partitionKey ?? '—'}</dd>
<dt>Error</dt><dd class="err">${d.error.name}: ${d.error.message}</dd>
</dl>
${d.error.stack ? html`<details><summary>Stack trace</summary><pre>${d.error.stack}</pre></details>` : ''}
<h2>Headers</h2>
<pre>${JSON.stringify(m.headers ?? {}, null, 2)}</pre>
<h2>Payload</h2>
${payload === undefined ? html`<p class="hint">Payloads are hidden (enable <code>showPayloads</code> to see them, with secret-looking fields redacted).</p>` : html`<pre data-payload>${payload}</pre>`}
${ctx.readOnly ? '' : html`<form method="post" action="${base}/action"><input type="hidden" name="ids" value="${m.id}">${actionButtons(ctx, 'selected', 'this dead letter')}</form>`}`;
}

/** The confirmation step of a replay or purge: what will happen, a confirm button, a way back. */
export function confirmBody(
  ctx: ViewContext,
  queue: string,
  op: 'replay' | 'purge',
  howMany: { readonly n: number; readonly label: string },
  fields: URLSearchParams,
  back: string,
): SafeHtml {
  const verb = op === 'replay' ? 'Replay' : 'Purge';
  const what =
    op === 'replay'
      ? 'They go back onto the live queue with their attempts reset.'
      : 'They are deleted for good.';
  const hidden = [...fields.entries()].filter(([k]) => k !== 'confirmed' && k !== 'op');
  return html`<h1>${verb} ${howMany.label} dead letter${howMany.n === 1 ? '' : 's'} of ${queue}?</h1>
<p>${what}</p>
<form method="post" action="${href(ctx, 'queues', queue, 'dead-letters', 'action')}" class="confirm">
${hidden.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<input type="hidden" name="op" value="${fields.get('op') ?? ''}">
<input type="hidden" name="confirmed" value="1">
<button type="submit" class="${op === 'purge' ? 'danger' : ''}" autofocus>Yes, ${verb.toLowerCase()} ${howMany.label}</button>
<a href="${back}">Cancel</a>
</form>`;
}
