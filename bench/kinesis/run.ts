// bench/kinesis: the @mqkit/kinesis producer and consumer against raw AWS SDK loops, on one
// kinesalite (in-process, free port; KINESIS_ENDPOINT for a real endpoint) and the machine's Redis.
// Each measurement uses a fresh stream of SHARDS shards and N records of 200 bytes:
//   put — raw: PutRecords of 500 records per call, one call after another (200-byte records,
//         random UUID partition keys like mqkit's default);
//         mqkit: one publish() of N messages (the producer batches 500 per call; each record is
//         the message envelope around a payload sized to keep the record at 200 bytes);
//   get — raw: one GetRecords loop per shard, all shards at once, from TRIM_HORIZON;
//         mqkit: consume() with leases taken in Redis, batchSize 500, a fenced checkpoint after
//         every batch, timed from consume() to the last record handled.
// Figures are the median of ROUNDS rounds. Prints a table; the last line is one JSON object.
import { performance } from 'node:perf_hooks';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { createKinesisQueue } from '@mqkit/kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Redis } from 'ioredis';
import kinesalite from 'kinesalite';

const N = Number(process.env.BENCH_RECORDS ?? 20_000);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 4);
// Nine rounds by default: a median of three moved by ±5 points from run to run on the 2-core VM.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BATCH = Number(process.env.BENCH_MQKIT_BATCH ?? 500);
const REDIS_URL = process.env.MQKIT_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RECORD_BYTES = 200;
const RAW_DATA = Buffer.alloc(RECORD_BYTES, 'x');
// The mqkit record is the message envelope (id, type, time, payload): its payload is sized so
// that the record is RECORD_BYTES too, as the raw one. BENCH_ENVELOPE picks the record layout
// (`producer.envelopeVersion`): 2, the default, inlines the JSON payload,
// {"v":2,"id":…,"type":"bench","createdAt":…,"payload":"xx…"}; 1 carries it as a string,
// {"v":1,"id":…,"type":"bench","body":"\"xx…\"","createdAt":…} (4 bytes of quotes and escapes
// around it).
const ENVELOPE = Number(process.env.BENCH_ENVELOPE ?? 2) === 1 ? 1 : 2;
const head = { v: ENVELOPE, id: crypto.randomUUID(), type: 'bench', createdAt: Date.now() };
const ENVELOPE_BYTES =
  ENVELOPE === 2
    ? JSON.stringify(head).length + ',"payload":""'.length
    : JSON.stringify({ ...head, body: '' }).length + 4;
const PAYLOAD = 'x'.repeat(RECORD_BYTES - ENVELOPE_BYTES);
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const perSecond = (count: number, ms: number): number => Math.round((count * 1000) / ms);

// kinesalite keeps every stream in one in-memory store that gets slower as it fills, so each
// measurement gets a fresh emulator (with KINESIS_ENDPOINT, the given endpoint is reused).
const external = process.env.KINESIS_ENDPOINT;
let server: ReturnType<typeof kinesalite> | undefined;
let client!: KinesisClient;
async function freshEmulator(): Promise<void> {
  client?.destroy();
  if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
  let endpoint = external;
  if (!endpoint) {
    server = kinesalite({
      createStreamMs: 0,
      deleteStreamMs: 0,
      updateStreamMs: 0,
      shardLimit: 10_000,
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }
  client = new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler({ requestTimeout: 30_000 }),
  });
}
const redis = new Redis(REDIS_URL);
const keyPrefix = `mqkit-bench-${process.pid}`;
let streams = 0;

async function freshStream(): Promise<string> {
  await freshEmulator();
  const name = `bench-${process.pid}-${streams++}`;
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  for (;;) {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return name;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rawPut(stream: string): Promise<number> {
  const data = RAW_DATA;
  // The same kind of key as mqkit's default (the message id, a random UUID), made before timing:
  // kinesalite's cost per record depends on the key (short numeric keys measured ~20 % faster).
  const keys = Array.from({ length: N }, () => crypto.randomUUID());
  const started = performance.now();
  for (let i = 0; i < N; i += 500) {
    const records = [];
    for (let j = i; j < Math.min(N, i + 500); j++)
      records.push({ Data: data, PartitionKey: keys[j] as string });
    const r = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
    if (r.FailedRecordCount) throw new Error('raw put failed');
  }
  return performance.now() - started;
}

async function rawGet(stream: string): Promise<number> {
  const started = performance.now();
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  let total = 0;
  await Promise.all(
    Shards.map(async (shard) => {
      let { ShardIterator: iterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      for (;;) {
        const r = await client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
        );
        total += r.Records?.length ?? 0;
        if ((r.Records?.length ?? 0) === 0 || total >= N) break;
        iterator = r.NextShardIterator;
      }
    }),
  );
  if (total !== N) throw new Error(`raw get read ${total} of ${N}`);
  return performance.now() - started;
}

const queueOf = () =>
  createKinesisQueue({
    kinesis: client,
    redis,
    keyPrefix,
    logger: silent,
    producer: { envelopeVersion: ENVELOPE },
  });

async function mqkitPut(stream: string): Promise<number> {
  const mq = queueOf();
  const messages = Array.from({ length: N }, () => ({ type: 'bench', payload: PAYLOAD }));
  // The producer's one-time start-up (DescribeStreamSummary: does the stream exist?) happens
  // before the clock, as in an application that calls init() at start: the raw loop checks
  // nothing, and the figure is the throughput of a ready producer.
  await mq.init([stream]);
  const started = performance.now();
  await mq.publish(stream, messages);
  const elapsed = performance.now() - started;
  await mq.close();
  return elapsed;
}

async function mqkitGet(stream: string): Promise<number> {
  const mq = queueOf();
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const started = performance.now();
  const consumer = mq.consume(
    stream,
    async (messages) => {
      handled += messages.length;
      if (handled >= N) done();
    },
    { batchSize: BATCH, concurrency: SHARDS },
  );
  await finished;
  const elapsed = performance.now() - started;
  await consumer.stop();
  await mq.close();
  return elapsed;
}

// Warm-up (JIT, connections), not measured.
{
  const w = await freshStream();
  await rawPut(w);
  await rawGet(w);
}
const results = {
  rawPut: [] as number[],
  mqkitPut: [] as number[],
  rawGet: [] as number[],
  mqkitGet: [] as number[],
};
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved so that drift (GC, other load on the machine) hits both sides alike.
  // The order alternates between rounds: whoever runs second in a round meets a fuller emulator.
  const raw = async () => {
    const a = await freshStream();
    results.rawPut.push(await rawPut(a));
    results.rawGet.push(await rawGet(a));
  };
  const mqkit = async () => {
    const b = await freshStream();
    results.mqkitPut.push(await mqkitPut(b));
    results.mqkitGet.push(await mqkitGet(b));
  };
  if (round % 2 === 0) {
    await raw();
    await mqkit();
  } else {
    await mqkit();
    await raw();
  }
}
const rawPutRate = perSecond(N, median(results.rawPut));
const mqkitPutRate = perSecond(N, median(results.mqkitPut));
const rawGetRate = perSecond(N, median(results.rawGet));
const mqkitGetRate = perSecond(N, median(results.mqkitGet));

const keys = await redis.keys(`${keyPrefix}:*`);
if (keys.length > 0) await redis.del(...keys);
redis.disconnect();
client.destroy();
if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));

const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `kinesis bench: ${N} records of ${RECORD_BYTES} bytes (mqkit: envelope v${ENVELOPE} + ${PAYLOAD.length}-byte payload), ${SHARDS} shards, median of ${ROUNDS} rounds (${external ?? 'kinesalite, a fresh one per measurement'})`,
);
console.log(`${pad('', 44)}${pad('records/s', 12)}median ms`);
console.log(
  `${pad('raw PutRecords (500 per call)', 44)}${pad(String(rawPutRate), 12)}${Math.round(median(results.rawPut))}`,
);
console.log(
  `${pad('mqkit publish (producer)', 44)}${pad(String(mqkitPutRate), 12)}${Math.round(median(results.mqkitPut))}`,
);
console.log(
  `${pad('raw GetRecords loop (all shards at once)', 44)}${pad(String(rawGetRate), 12)}${Math.round(median(results.rawGet))}`,
);
console.log(
  `${pad(`mqkit consume (leases, checkpoint per ${BATCH})`, 44)}${pad(String(mqkitGetRate), 12)}${Math.round(median(results.mqkitGet))}`,
);
console.log(
  `per round, ms (raw/mqkit): put ${results.rawPut.map((v, i) => `${Math.round(v)}/${Math.round(results.mqkitPut[i] as number)}`).join(' ')}; get ${results.rawGet.map((v, i) => `${Math.round(v)}/${Math.round(results.mqkitGet[i] as number)}`).join(' ')}`,
);
const round2 = (v: number) => Math.round(v * 100) / 100;
// Each round measures raw and mqkit back to back, so the ratio within a round cancels the drift
// between rounds (the emulator's and the machine's); its median is printed beside the ratio of
// the medians, which stays the headline figure.
const pairedRatio = (raw: number[], mqkit: number[]): number =>
  round2(median(raw.map((r, i) => r / (mqkit[i] as number))));
console.log(
  JSON.stringify({
    bench: 'kinesis',
    producer_ratio_vs_raw: round2(mqkitPutRate / rawPutRate),
    consumer_ratio_vs_raw: round2(mqkitGetRate / rawGetRate),
    producer_ratio_paired: pairedRatio(results.rawPut, results.mqkitPut),
    consumer_ratio_paired: pairedRatio(results.rawGet, results.mqkitGet),
    rounds: ROUNDS,
    raw_put_per_s: rawPutRate,
    mqkit_put_per_s: mqkitPutRate,
    raw_get_per_s: rawGetRate,
    mqkit_get_per_s: mqkitGetRate,
  }),
);
process.exit(0);
