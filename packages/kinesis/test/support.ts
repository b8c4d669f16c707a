import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Redis } from 'ioredis';
import kinesalite from 'kinesalite';
import { decodeEnvelope } from '../src/envelope.js';

/**
 * Kinesis for tests: `KINESIS_ENDPOINT` when set (a real endpoint), else kinesalite started
 * in-process on a free port (state in memory, streams created at once).
 */
export async function startKinesis(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const external = process.env.KINESIS_ENDPOINT;
  if (external) return { endpoint: external, stop: async () => {} };
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 10_000,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const REDIS_URL = process.env.MQKIT_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `undefined` when Redis answers PING, else why not (for the SKIPPED line). */
export async function probeRedis(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${REDIS_URL} unreachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    redis.disconnect();
  }
}

/** A unique name for streams, queues and key prefixes. */
export const unique = (prefix: string): string => `${prefix}_${randomBytes(5).toString('hex')}`;

/** Faults a {@link faultyKinesis} client injects; tests change them while it runs. */
export interface Faults {
  /** Called per PutRecords entry (data as text): true fails it with `failWith` instead of sending it. */
  failPutEntry?: (data: string, attempt: number) => boolean;
  /** Per-entry error code used by `failPutEntry`. Default ProvisionedThroughputExceededException. */
  failWith?: string;
  /** The next N PutRecords calls throw this error name (whole-call failure). */
  throwPutCalls?: { count: number; name: string };
  /** The next N GetRecords calls throw `throttleWith` (default ProvisionedThroughputExceededException). */
  throttleGetRecords?: number;
  /** Error name thrown by `throttleGetRecords`. */
  throttleWith?: string;
  /** The next N GetRecords calls throw ExpiredIteratorException instead of being sent. */
  expireGetRecords?: number;
  /** ListShards answers in pages of this size (kinesalite never pages). */
  listShardsPageSize?: number;
}

/** What the faulty client observed. */
export interface Observed {
  putCalls: number;
  putEntriesSent: string[];
  getRecordsCalls: number;
  /** When each GetRecords call was made (ms since epoch). */
  getRecordsAt: number[];
  /** GetShardIterator requests, in order. */
  iteratorRequests: Record<string, unknown>[];
  listShardsRequests: Record<string, unknown>[];
}

const awsError = (name: string): Error => {
  const error = new Error(`${name} (injected)`);
  error.name = name;
  return Object.assign(error, { $metadata: { httpStatusCode: 400 } });
};

/**
 * A real KinesisClient talking to the emulator, with a middleware that injects the faults the
 * emulator cannot produce (per-entry failures, throttling, ListShards paging). Not a mock: every
 * record that is not failed goes to the emulator and back.
 */
export function faultyKinesis(
  endpoint: string,
  faults: Faults = {},
): { client: KinesisClient; faults: Faults; observed: Observed } {
  const client = plainKinesis(endpoint);
  const observed: Observed = {
    putCalls: 0,
    putEntriesSent: [],
    getRecordsCalls: 0,
    getRecordsAt: [],
    iteratorRequests: [],
    listShardsRequests: [],
  };
  const putAttempts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName;
      const input = args.input as Record<string, unknown>;
      if (name === 'PutRecordsCommand') {
        observed.putCalls++;
        if (faults.throwPutCalls && faults.throwPutCalls.count > 0) {
          faults.throwPutCalls.count--;
          throw awsError(faults.throwPutCalls.name);
        }
        const records = input.Records as { Data: Uint8Array; PartitionKey: string }[];
        const keep: number[] = [];
        const results: (PutRecordsResultEntry | undefined)[] = records.map((r, i) => {
          const text = Buffer.from(r.Data).toString('utf8');
          const attempt = (putAttempts.get(text) ?? 0) + 1;
          putAttempts.set(text, attempt);
          if (faults.failPutEntry?.(text, attempt)) {
            const code = faults.failWith ?? 'ProvisionedThroughputExceededException';
            return { ErrorCode: code, ErrorMessage: `${code} (injected)` };
          }
          keep.push(i);
          observed.putEntriesSent.push(text);
          return undefined;
        });
        let failed = results.filter((r) => r !== undefined).length;
        if (keep.length > 0) {
          const sent = await next({
            ...args,
            input: { ...input, Records: keep.map((i) => records[i]) },
          });
          const output = sent.output as {
            Records: PutRecordsResultEntry[];
            FailedRecordCount?: number;
          };
          keep.forEach((i, k) => {
            results[i] = output.Records[k];
          });
          failed += output.FailedRecordCount ?? 0;
          return {
            ...sent,
            output: { ...output, Records: results, FailedRecordCount: failed },
          } as never;
        }
        return {
          response: {},
          output: { Records: results, FailedRecordCount: failed, $metadata: {} },
        };
      }
      if (name === 'GetRecordsCommand') {
        observed.getRecordsCalls++;
        observed.getRecordsAt.push(Date.now());
        if ((faults.throttleGetRecords ?? 0) > 0) {
          faults.throttleGetRecords = (faults.throttleGetRecords ?? 0) - 1;
          throw awsError(faults.throttleWith ?? 'ProvisionedThroughputExceededException');
        }
        if ((faults.expireGetRecords ?? 0) > 0) {
          faults.expireGetRecords = (faults.expireGetRecords ?? 0) - 1;
          throw awsError('ExpiredIteratorException');
        }
      }
      if (name === 'GetShardIteratorCommand') observed.iteratorRequests.push({ ...input });
      if (name === 'ListShardsCommand' && faults.listShardsPageSize !== undefined) {
        observed.listShardsRequests.push({ ...input });
        if (
          input.NextToken !== undefined &&
          (input.StreamName !== undefined || input.ShardFilter !== undefined)
        )
          throw awsError('InvalidArgumentException');
        const size = faults.listShardsPageSize;
        const [stream, offsetText] =
          input.NextToken === undefined
            ? [input.StreamName as string, '0']
            : String(input.NextToken).split('|');
        const full = await next({ ...args, input: { StreamName: stream } });
        const output = full.output as { Shards: unknown[] };
        const offset = Number(offsetText);
        const page = output.Shards.slice(offset, offset + size);
        const more = offset + size < output.Shards.length;
        return {
          ...full,
          output: {
            ...output,
            Shards: page,
            NextToken: more ? `${stream}|${offset + size}` : undefined,
          },
        } as never;
      }
      return next(args);
    },
    { step: 'initialize', name: 'mqkitFaultInjection' },
  );
  return { client, faults, observed };
}

/** A KinesisClient for the emulator (NodeHttpHandler: the default handler fails against kinesalite). */
export function plainKinesis(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ requestTimeout: 10_000 }),
    maxAttempts: 1,
  });
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createStream(
  client: KinesisClient,
  name: string,
  shards: number,
): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The payload a record carries, from its data as bytes or text (either envelope layout). */
export function payloadOf(data: Uint8Array | string): unknown {
  const e = decodeEnvelope(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
  if (e === undefined) throw new Error('not an mqkit envelope');
  return e.v === 2 ? e.payload : JSON.parse(e.body as string);
}
