import { ConfigurationError } from '../errors.js';
import type { LifecycleDispatcher } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { PreparedMessage } from '../publish.js';
import { storableStringProblem } from '../strings.js';

/**
 * The id of every prepared message: the given one, else `generateId()`, whose result is checked
 * (a non-empty string of at most 200 storable characters) before any I/O. Throws
 * {@link ConfigurationError} naming `generateId` when it returns something else.
 */
export function assignIds(
  prepared: readonly PreparedMessage[],
  generateId: () => string,
  provider: string,
  custom: boolean,
): string[] {
  const ids = new Array<string>(prepared.length);
  for (let i = 0; i < prepared.length; i++) {
    const given = (prepared[i] as PreparedMessage).id;
    if (given !== undefined) {
      ids[i] = given;
      continue;
    }
    const id = generateId();
    // Our own UUID generator needs no check; a user's must return what every backend can store.
    if (
      custom &&
      (typeof id !== 'string' ||
        id.length === 0 ||
        id.length > 200 ||
        storableStringProblem(id) !== undefined)
    ) {
      throw new ConfigurationError(
        'generateId',
        `[@mqkit/${provider}] option "generateId" must return a non-empty string of at most 200 characters without U+0000 or unpaired surrogates; nothing was published`,
      );
    }
    ids[i] = id;
  }
  return ids;
}

/** What {@link publishTail} reports about one publish call. */
export interface PublishTail {
  readonly provider: string;
  readonly queue: string;
  readonly prepared: readonly PreparedMessage[];
  readonly ids: readonly string[];
  /**
   * Indexes of the messages actually stored (deduplicated inputs are not "published" for
   * metrics); `undefined` when every message was stored.
   */
  readonly stored?: readonly number[] | undefined;
  readonly logger: Logger;
  readonly logPayloads: boolean;
  readonly lifecycle: LifecycleDispatcher;
}

/**
 * The end of every provider's `publish`: one debug line (payloads only with `logPayloads`) and
 * one `published` event listing the stored messages in input order.
 */
export function publishTail(t: PublishTail): void {
  t.logger.debug(
    t.logPayloads
      ? { queue: t.queue, ids: t.ids, payloads: t.prepared.map((p) => p.body) }
      : { queue: t.queue, count: t.ids.length },
    'published',
  );
  if (!t.lifecycle.active) return;
  const messages: { id: string; type: string }[] = [];
  if (t.stored === undefined) {
    for (let i = 0; i < t.ids.length; i++)
      messages.push({ id: t.ids[i] as string, type: (t.prepared[i] as PreparedMessage).type });
  } else {
    for (const i of t.stored)
      messages.push({ id: t.ids[i] as string, type: (t.prepared[i] as PreparedMessage).type });
  }
  if (messages.length > 0)
    t.lifecycle.emit({ type: 'published', provider: t.provider, queue: t.queue, messages });
}
