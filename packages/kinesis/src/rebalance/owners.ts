import type { Redis } from 'ioredis';
import type { QueueKeys } from '../names.js';
import { runScript } from '../redis/scripts.js';
import { ownersScript } from './scripts/index.js';

/**
 * The live lease owner of each of `shardIds` (free and expired leases are left out), read in one
 * script call: all keys share the queue's hash tag, so this works on Redis Cluster too.
 */
export async function readOwners(
  redis: Redis,
  keys: QueueKeys,
  shardIds: readonly string[],
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  if (shardIds.length === 0) return owners;
  const reply = (await runScript(
    redis,
    ownersScript,
    shardIds.map((id) => keys.lease(id)),
    [],
  )) as string[];
  shardIds.forEach((id, i) => {
    const owner = reply[i];
    if (owner) owners.set(id, owner);
  });
  return owners;
}
