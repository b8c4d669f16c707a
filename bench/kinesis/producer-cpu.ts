// bench/kinesis/producer-cpu: the CPU the @mqkit/kinesis producer itself spends per record,
// against the raw PutRecords loop of `pnpm bench:kinesis`, without an emulator. A KinesisClient
// whose send() answers PutRecords from memory (every entry stored, a 56-digit sequence number
// each) is used by both sides: the raw loop (500 records of 200 bytes per call, UUID partition
// keys made before the clock starts, as in run.ts) and one mqkit publish() of N messages whose
// records are 200 bytes too. Neither side pays for the SDK's serialisation or signing here (the
// stubbed send() skips them), so the difference is what mqkit does per record that the raw loop
// does not. Rounds alternate raw and mqkit in one process; figures are process CPU, median.
// Env: BENCH_RECORDS (20000), BENCH_ROUNDS (15), BENCH_ENVELOPE (2 or 1). Like every bench it
// measures the built packages (bench/tsconfig.json has no `paths`): `pnpm build` first.
import { randomUUID } from 'node:crypto';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisQueue } from '@mqkit/kinesis';

const N = Number(process.env.BENCH_RECORDS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const ENVELOPE = Number(process.env.BENCH_ENVELOPE ?? 2) === 1 ? 1 : 2;
const RECORD_BYTES = 200;
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
// As in run.ts: the payload is sized so that the mqkit record is RECORD_BYTES.
const head = { v: ENVELOPE, id: randomUUID(), type: 'bench', createdAt: Date.now() };
const ENVELOPE_BYTES =
  ENVELOPE === 2
    ? JSON.stringify(head).length + ',"payload":""'.length
    : JSON.stringify({ ...head, body: '' }).length + 4;
const PAYLOAD = 'x'.repeat(RECORD_BYTES - ENVELOPE_BYTES);

let sequence = 49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
let bytes = 0;
const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});
type Command = { constructor: { name: string }; input: Record<string, unknown> };
(client as unknown as { send(c: Command): Promise<unknown> }).send = async (command) => {
  switch (command.constructor.name) {
    case 'DescribeStreamSummaryCommand':
      return { StreamDescriptionSummary: { StreamStatus: 'ACTIVE' } };
    case 'PutRecordsCommand': {
      const records = (command as unknown as PutRecordsCommand).input.Records ?? [];
      await new Promise((resolve) => setImmediate(resolve)); // an answer is never synchronous
      return {
        FailedRecordCount: 0,
        Records: records.map((r) => {
          bytes += (r.Data as Uint8Array).byteLength + (r.PartitionKey as string).length;
          sequence += 1n;
          return { SequenceNumber: String(sequence), ShardId: 'shardId-000000000000' };
        }),
      };
    }
    default:
      throw new Error(`producer-cpu: unexpected ${command.constructor.name}`);
  }
};

const RAW_DATA = Buffer.alloc(RECORD_BYTES, 'x');
async function rawPut(): Promise<void> {
  const keys = Array.from({ length: N }, () => randomUUID());
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i += 500) {
    const records = [];
    for (let j = i; j < Math.min(N, i + 500); j++)
      records.push({ Data: RAW_DATA, PartitionKey: keys[j] as string });
    const r = await client.send(new PutRecordsCommand({ StreamName: 's', Records: records }));
    if (r.FailedRecordCount) throw new Error('raw put failed');
  }
  const used = process.cpuUsage(cpu0);
  results.raw.push((used.user + used.system) / 1000);
}

const mq = createKinesisQueue({
  kinesis: client,
  redis: 'redis://127.0.0.1:6379', // never connected: publish does not use Redis
  logger: silent,
  producer: { envelopeVersion: ENVELOPE },
});
async function mqkitPut(): Promise<void> {
  const messages = Array.from({ length: N }, () => ({ type: 'bench', payload: PAYLOAD }));
  const cpu0 = process.cpuUsage();
  await mq.publish('s', messages);
  const used = process.cpuUsage(cpu0);
  results.mqkit.push((used.user + used.system) / 1000);
}

const results = { raw: [] as number[], mqkit: [] as number[] };
for (let round = 0; round < ROUNDS + 2; round++) {
  bytes = 0;
  if (round % 2 === 0) {
    await rawPut();
    const raw = bytes;
    bytes = 0;
    await mqkitPut();
    if (bytes !== raw) throw new Error(`unequal records: raw ${raw} bytes, mqkit ${bytes}`);
  } else {
    await mqkitPut();
    const mqkit = bytes;
    bytes = 0;
    await rawPut();
    if (bytes !== mqkit) throw new Error(`unequal records: raw ${bytes} bytes, mqkit ${mqkit}`);
  }
}
// The first two rounds warm the JIT up and are not counted.
results.raw.splice(0, 2);
results.mqkit.splice(0, 2);
await mq.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const us = (ms: number) => Math.round((ms * 100_000) / N) / 100;
console.log(
  `kinesis producer CPU: ${N} records of ${RECORD_BYTES} bytes (mqkit envelope v${ENVELOPE}), median of ${ROUNDS} rounds, stubbed send(), no emulator`,
);
console.log(
  JSON.stringify({
    bench: 'kinesis-producer-cpu',
    envelope: ENVELOPE,
    raw_cpu_ms: Math.round(median(results.raw)),
    mqkit_cpu_ms: Math.round(median(results.mqkit)),
    raw_cpu_us_per_record: us(median(results.raw)),
    mqkit_cpu_us_per_record: us(median(results.mqkit)),
    mqkit_extra_us_per_record: us(median(results.mqkit) - median(results.raw)),
  }),
);
process.exit(0);
