import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { StartPosition } from '../options.js';

/** Opens an iterator after `after` (the last handled record), or at the start position. */
export async function openIterator(
  client: KinesisClient,
  streamName: string,
  shardId: string,
  after: string | undefined,
  start: StartPosition,
): Promise<string | undefined> {
  const position =
    after !== undefined
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: after }
      : typeof start === 'string'
        ? { ShardIteratorType: start }
        : { ShardIteratorType: 'AT_TIMESTAMP' as const, Timestamp: start.timestamp };
  const response = await client.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ...position }),
  );
  return response.ShardIterator;
}

/** One GetRecords call. */
export function getRecords(
  client: KinesisClient,
  iterator: string,
  limit: number,
): Promise<GetRecordsCommandOutput> {
  return client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
}
