// Run by producer.test.ts as its own process: publishes through a lingering producer without
// awaiting and without close(), then lets the script end. The linger timer must keep the process
// alive until the buffer is sent, so the record reaches the stream before the process exits.
import { pino } from 'pino';
import { createKinesisQueue } from '../src/index.js';
import { plainKinesis } from './support.js';

const endpoint = process.env.MQKIT_TEST_KINESIS as string;
const stream = process.env.MQKIT_TEST_STREAM as string;
const queue = createKinesisQueue({
  kinesis: plainKinesis(endpoint),
  logger: pino({ level: 'silent' }),
  producer: { linger: { maxDelayMs: 1_500 } },
});
void queue.publish(stream, { type: 't', payload: { i: 1 } }).then((r) => {
  process.stdout.write(`published ${r.positions?.[0]}\n`);
  process.exit(0); // the client's keep-alive sockets would otherwise hold the process
});
