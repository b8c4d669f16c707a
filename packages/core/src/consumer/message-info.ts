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
