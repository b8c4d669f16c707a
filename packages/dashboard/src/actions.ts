import type { ServerResponse } from 'node:http';
import {
  countMatching,
  type OperatorFilter,
  purgeDeadLetters,
  replayDeadLetters,
  selectsAll,
} from '@mqkit/cli/actions';
import { ValidationError } from '@mqkit/core';
import { redirect } from './http.js';
import { filterFields, operatorFilter, type PageDeps } from './pages.js';
import { confirmBody } from './views/dead-letters.js';
import type { SafeHtml } from './views/html.js';
import { href, type ViewContext } from './views/layout.js';

/** A filtered confirmation counts at most this many matches (then says "10,000+"). */
export const COUNT_CAP = 10_000;

/** A parsed `op` form field: the verb and what it applies to. */
export interface Operation {
  readonly verb: 'replay' | 'purge';
  readonly scope: 'selected' | 'matching';
}

/** Pure: parses `replay:selected`, `purge:matching`, …; throws {@link ValidationError} otherwise. */
export function parseOperation(op: string | null): Operation {
  const [verb, scope] = (op ?? '').split(':');
  if ((verb === 'replay' || verb === 'purge') && (scope === 'selected' || scope === 'matching'))
    return { verb, scope };
  throw new ValidationError(
    `unknown action "${op ?? ''}": expected replay or purge of the selected or matching dead letters`,
  );
}

/**
 * A replay or purge posted from the UI (CSRF and read-only were checked by the caller). Without
 * `confirmed=1` it answers the confirmation page with the real count; with it, it acts through
 * the CLI's actions and redirects (303) back with a notice. Resolves to the page to render, or
 * undefined once it redirected.
 */
export async function deadLetterAction(
  deps: PageDeps,
  ctx: ViewContext,
  queue: string,
  form: URLSearchParams,
  res: ServerResponse,
): Promise<SafeHtml | undefined> {
  const op = parseOperation(form.get('op'));
  const fields = filterFields(form);
  const ids = form.getAll('ids').filter((id) => id !== '');
  if (op.scope === 'selected' && ids.length === 0)
    throw new ValidationError('select at least one dead letter first');
  const filter: OperatorFilter =
    op.scope === 'selected' ? { ids } : operatorFilter(fields, Date.now());
  const q = deps.options.queue;
  const browser = href(ctx, 'queues', queue, 'dead-letters');
  const backQuery = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== ''));
  const back =
    form.get('back') === 'queue'
      ? href(ctx, 'queues', queue)
      : `${browser}${backQuery.size > 0 ? `?${backQuery}` : ''}`;
  if (form.get('confirmed') !== '1') {
    // Everything: the store's count (cheap). A filter: counted through it, up to COUNT_CAP.
    const howMany = selectsAll(filter)
      ? await q.deadLetters.count(queue)
      : await countMatching(q, queue, filter, COUNT_CAP);
    const label =
      !selectsAll(filter) && howMany >= COUNT_CAP
        ? `${COUNT_CAP.toLocaleString('en-US')}+`
        : howMany.toLocaleString('en-US');
    return confirmBody(ctx, queue, op.verb, { n: howMany, label }, form, back);
  }
  const n =
    op.verb === 'replay'
      ? await replayDeadLetters(q, queue, filter)
      : await purgeDeadLetters(q, queue, filter);
  deps.options.logger.info(
    { queue, action: op.verb, scope: op.scope, count: n },
    `[@mqkit/dashboard] ${op.verb} of ${n} dead letters`,
  );
  const done = new URLSearchParams(backQuery);
  done.set('done', op.verb);
  done.set('n', String(n));
  redirect(
    res,
    form.get('back') === 'queue' ? `${back}?done=${op.verb}&n=${n}` : `${browser}?${done}`,
  );
  return undefined;
}
