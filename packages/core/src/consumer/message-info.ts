import type { MessageInfo, MessageInfoList } from '../lifecycle.js';

/** What lifecycle events carry about a message (never its payload, headers or lease token). */
export function messageInfo(m: MessageInfo): MessageInfo {
  return {
    id: m.id,
    type: m.type,
    attempt: m.attempt,
    createdAt: m.createdAt,
    partitionKey: m.partitionKey,
  };
}

/**
 * A {@link MessageInfoList} over messages or claims the consumer already holds: one object per
 * event instead of an info per message. The items stay in a private field, so a lifecycle
 * provider reads the five info fields and nothing else (no payload, headers or lease token):
 * `at()` and iteration hand out copies. A list built with a loader gathers its items on first
 * access: a provider that reads only `length` (a counter) costs no gathering.
 */
class MessageInfoView implements MessageInfoList {
  #items: readonly MessageInfo[] | undefined;
  #load: (() => readonly MessageInfo[]) | undefined;
  readonly length: number;

  constructor(
    items: readonly MessageInfo[] | undefined,
    length: number,
    load?: () => readonly MessageInfo[],
  ) {
    this.#items = items;
    this.#load = load;
    this.length = length;
  }

  #list(): readonly MessageInfo[] {
    let items = this.#items;
    if (items === undefined) {
      items = (this.#load as () => readonly MessageInfo[])();
      this.#items = items;
      this.#load = undefined;
    }
    return items;
  }

  at(index: number): MessageInfo | undefined {
    const item = this.#list()[index < 0 ? index + this.length : index];
    return item === undefined ? undefined : messageInfo(item);
  }

  typeAt(index: number): string | undefined {
    return this.#list()[index]?.type;
  }

  createdAtMs(index: number): number | undefined {
    return this.#list()[index]?.createdAt.getTime();
  }

  *[Symbol.iterator](): Iterator<MessageInfo> {
    for (const item of this.#list()) yield messageInfo(item);
  }

  /** What `console.log`/`JSON.stringify` show: the infos, not an empty object. */
  toJSON(): MessageInfo[] {
    return [...this];
  }
}

/**
 * The `messages` of a `delivered` or `succeeded` event, read in place from `items` (claims or
 * messages: anything with the {@link MessageInfo} fields). `items` must not change afterwards.
 */
export function messageInfoList(items: readonly MessageInfo[]): MessageInfoList {
  return new MessageInfoView(items, items.length);
}

/** A handler call's claims, as the `delivered` list reads them. */
export interface StartedCall {
  readonly claims: readonly MessageInfo[];
}

/**
 * The `messages` of the `delivered` event of handler calls started together, in start order
 * (`first`, then `more`), gathered only when a provider reads an item: at `batchSize` 1 a copy
 * of every claim per burst is otherwise the largest part of the event's cost, and a provider
 * that counts reads only `length`. A call started alone is read in place. The calls' claim arrays
 * must not change afterwards.
 */
export function startedClaimsList(
  first: StartedCall,
  more: readonly StartedCall[] | undefined,
): MessageInfoList {
  if (more === undefined) return messageInfoList(first.claims);
  let n = first.claims.length;
  for (const call of more) n += call.claims.length;
  return new MessageInfoView(undefined, n, () => gatherClaims(first, more, n));
}

/** The `n` claims of `first` and `more`, in that order, in one new array. */
function gatherClaims(
  first: StartedCall,
  more: readonly StartedCall[],
  n: number,
): readonly MessageInfo[] {
  const all = new Array<MessageInfo>(n);
  let i = 0;
  for (const claim of first.claims) all[i++] = claim;
  for (const call of more) for (const claim of call.claims) all[i++] = claim;
  return all;
}
