import { type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';

/** A shard as the consumer needs it. */
export interface ShardInfo {
  readonly shardId: string;
  /** `ParentShardId` and `AdjacentParentShardId` (a merge has two parents, a split one). */
  readonly parents: readonly string[];
}

/**
 * Every shard of `streamName`, following `NextToken` to the last page. A request with
 * `NextToken` carries neither `StreamName` nor `ShardFilter` (the service rejects the mix).
 */
export async function listShards(client: KinesisClient, streamName: string): Promise<ShardInfo[]> {
  const shards: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    const response = await client.send(
      new ListShardsCommand(
        nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken },
      ),
    );
    for (const shard of response.Shards ?? []) {
      if (shard.ShardId === undefined) continue;
      const parents: string[] = [];
      if (shard.ParentShardId) parents.push(shard.ParentShardId);
      if (shard.AdjacentParentShardId) parents.push(shard.AdjacentParentShardId);
      shards.push({ shardId: shard.ShardId, parents });
    }
    nextToken = response.NextToken;
  } while (nextToken !== undefined);
  return shards;
}

/**
 * Shards that may be consumed now: not finished themselves, and every parent either finished
 * (checkpoint `SHARD_END`) or gone from the listing (trimmed after the retention period). This is
 * what keeps per-key order across a split or merge: a child starts only after its parents' last
 * records were handled. Pure.
 */
export function readyShards(
  shards: readonly ShardInfo[],
  finished: ReadonlySet<string>,
): ShardInfo[] {
  const listed = new Set(shards.map((s) => s.shardId));
  return shards.filter(
    (s) => !finished.has(s.shardId) && s.parents.every((p) => !listed.has(p) || finished.has(p)),
  );
}
