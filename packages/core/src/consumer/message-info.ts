import type { MessageInfo } from '../lifecycle.js';

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

/** Where a handler call keeps what its events say about its messages. */
interface Described {
  infos?: readonly MessageInfo[] | undefined;
  /** A one-message call's info (instead of `infos`: no array of one). */
  info?: MessageInfo | undefined;
}

/** Describes `run`'s messages for its events: one info alone, no array of one. */
export function describeMessages(run: Described, claims: readonly MessageInfo[]): void {
  if (claims.length === 1) run.info = messageInfo(claims[0] as MessageInfo);
  else run.infos = claims.map(messageInfo);
}

/** What {@link startedInfos} reads of a handler call (set when a lifecycle listens). */
type Started = Readonly<Described>;

/** Messages of one handler call as the `delivered` event lists them. */
function countOf(run: Started): number {
  return run.info !== undefined ? 1 : (run.infos?.length ?? 0);
}

/**
 * The `messages` of one `delivered` event for handler calls started together, in start order:
 * the first call's own infos when it started alone with several messages (its `succeeded` event
 * shares them).
 */
export function startedInfos(first: Started, more: readonly Started[] | undefined): MessageInfo[] {
  if (more === undefined) {
    if (first.info !== undefined) return [first.info];
    return (first.infos ?? []) as MessageInfo[];
  }
  let n = countOf(first);
  for (const run of more) n += countOf(run);
  const all = new Array<MessageInfo>(n);
  let i = 0;
  i = copyInto(all, i, first);
  for (const run of more) i = copyInto(all, i, run);
  return all;
}

function copyInto(all: MessageInfo[], at: number, run: Started): number {
  let i = at;
  if (run.info !== undefined) all[i++] = run.info;
  else for (const info of run.infos ?? []) all[i++] = info;
  return i;
}
