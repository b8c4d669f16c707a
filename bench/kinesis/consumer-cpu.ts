// bench/kinesis/consumer-cpu: the CPU the @mqkit/kinesis consumer itself spends per record, without
// an emulator. A KinesisClient whose send() answers from memory (ListShards, GetShardIterator, one
// GetRecords of PER fresh records per shard, then empty answers) feeds consume() with the
// machine's Redis (leases, a fenced checkpoint after every batch), batchSize 500. Each round
// measures process CPU from consume() to the last record handled; records are made before the
// clock starts. Unlike `pnpm bench:kinesis`, the figure does not include kinesalite, whose share of
// one event loop and of a loaded machine swamps the consumer's own cost.
// Env: BENCH_SHARDS (4), BENCH_PER_SHARD (5000), BENCH_ROUNDS (12), BENCH_ENVELOPE (2 or 1),
// BENCH_PAYLOAD (string or object).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisQueue } from '@mqkit/kinesis';
import { Redis } from 'ioredis';

const SHARDS = Number(process.env.BENCH_SHARDS ?? 4);
const PER = Number(process.env.BENCH_PER_SHARD ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const V1 = process.env.BENCH_ENVELOPE === '1';
/** `object`: a ~300-byte order-like object payload instead of the 95-character string. */
const OBJECT = process.env.BENCH_PAYLOAD === 'object';
const N = SHARDS * PER;
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A record as the SDK hands it out (Data a Uint8Array view, a Date, 56-digit sequence number). */
function record(i: number): _Record {
  const id = randomUUID();
  const payload = OBJECT
    ? {
        orderId: i,
        customer: { id: `c-${i % 97}`, name: 'Ada Lovelace', tier: 'gold' },
        items: [
          { sku: 'A-1', qty: 2, price: 9.99 },
          { sku: 'B-22', qty: 1, price: 120.5 },
          { sku: 'C-333', qty: 5, price: 0.25 },
        ],
        note: 'deliver after 18:00',
      }
    : 'x'.repeat(95);
  const head = { id, type: 'bench', createdAt: Date.now() };
  const text = V1
    ? JSON.stringify({ v: 1, ...head, body: JSON.stringify(payload) })
    : JSON.stringify({ v: 2, ...head, payload });
  const b = Buffer.from(text);
  return {
    SequenceNumber: String(
      49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i),
    ),
    PartitionKey: id,
    Data: new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    ApproximateArrivalTimestamp: new Date(),
  };
}

let round = 0;
let canned = new Map<string, _Record[]>();
const served = new Set<string>();
const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});
type Command = { constructor: { name: string }; input: Record<string, unknown> };
(client as unknown as { send(c: Command): Promise<unknown> }).send = async (command) => {
  const shard = (i: number) => `shardId-${round}-${i}`;
  switch (command.constructor.name) {
    case 'DescribeStreamSummaryCommand':
      return { StreamDescriptionSummary: { StreamStatus: 'ACTIVE' } };
    case 'ListShardsCommand':
      return {
        Shards: Array.from({ length: SHARDS }, (_, i) => ({
          ShardId: shard(i),
          SequenceNumberRange: { StartingSequenceNumber: '0' },
        })),
      };
    case 'GetShardIteratorCommand':
      return { ShardIterator: String(command.input.ShardId) };
    case 'GetRecordsCommand': {
      const iterator = String(command.input.ShardIterator);
      const first = !served.has(iterator);
      served.add(iterator);
      await new Promise((resolve) => setImmediate(resolve)); // an answer is never synchronous
      return {
        Records: first ? (canned.get(iterator) ?? []) : [],
        NextShardIterator: iterator,
        MillisBehindLatest: 0,
      };
    }
    default:
      throw new Error(`consumer-cpu: unexpected ${command.constructor.name}`);
  }
};

const redis = new Redis(process.env.MQKIT_REDIS_URL ?? 'redis://127.0.0.1:6379');
const keyPrefix = `mqkit-bench-cpu-${process.pid}`;
const cpu: number[] = [];
const wall: number[] = [];
for (round = 0; round < ROUNDS + 2; round++) {
  const mq = createKinesisQueue({ kinesis: client, redis, keyPrefix, logger: silent });
  canned = new Map(
    Array.from({ length: SHARDS }, (_, i) => [
      `shardId-${round}-${i}`,
      Array.from({ length: PER }, (_, j) => record(j)),
    ]),
  );
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const consumer = mq.consume(
    's',
    async (messages) => {
      handled += messages.length;
      if (handled >= N) done();
    },
    { batchSize: 500, concurrency: SHARDS },
  );
  await finished;
  const used = process.cpuUsage(cpu0);
  // The first two rounds warm the JIT up and are not counted.
  if (round >= 2) {
    cpu.push((used.user + used.system) / 1000);
    wall.push(performance.now() - started);
  }
  await consumer.stop();
  await mq.close();
}
const keys = await redis.keys(`${keyPrefix}:*`);
if (keys.length > 0) await redis.del(...keys);
redis.disconnect();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(
  `kinesis consumer CPU: ${SHARDS} × ${PER} records (envelope v${V1 ? 1 : 2}, ${OBJECT ? 'object' : 'string'} payload), median of ${ROUNDS} rounds, no emulator`,
);
console.log(
  JSON.stringify({
    bench: 'kinesis-consumer-cpu',
    envelope: V1 ? 1 : 2,
    payload: OBJECT ? 'object' : 'string',
    cpu_ms: Math.round(median(cpu)),
    cpu_us_per_record: Math.round((median(cpu) * 100_000) / N) / 100,
    wall_ms: Math.round(median(wall)),
  }),
);
process.exit(0);
