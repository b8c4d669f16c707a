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

/** What {@link startedInfos} reads of a handler call: its `delivered` infos (set when a lifecycle listens). */
interface Started {
  readonly infos?: readonly MessageInfo[] | undefined;
}

/**
 * The `messages` of one `delivered` event for handler calls started together, in start order:
 * the first call's own infos when it started alone (its `succeeded` event shares them).
 */
export function startedInfos(first: Started, more: readonly Started[] | undefined): MessageInfo[] {
  if (more === undefined) return (first.infos ?? []) as MessageInfo[];
  let n = first.infos?.length ?? 0;
  for (const run of more) n += run.infos?.length ?? 0;
  const all = new Array<MessageInfo>(n);
  let i = 0;
  for (const info of first.infos ?? []) all[i++] = info;
  for (const run of more) for (const info of run.infos ?? []) all[i++] = info;
  return all;
}
