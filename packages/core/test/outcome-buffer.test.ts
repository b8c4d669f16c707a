// OutcomeBuffer with several writes in flight: writes overlap, never share a message id, and a
// failed write loses nothing.
import { describe, expect, it } from 'vitest';
import { type Claim, OutcomeBuffer, type Outcomes } from '../src/provider.js';
import { testBufferHooks, testClaim } from './claim-fixture.js';

const claim = (id: string, token = 1): Claim => testClaim(id, { token });

const hooks = testBufferHooks;

/** What a write carried, as `kind:id@token` strings. */
const describeWrite = (o: Outcomes): string[] => [
  ...o.acked.map((c) => `ack:${c.id}@${c.token}`),
  ...o.retried.map((r) => `retry:${r.claim.id}@${r.claim.token}`),
  ...o.deadLettered.map((d) => `dead:${d.claim.id}@${d.claim.token}`),
  ...o.released.map((c) => `release:${c.id}@${c.token}`),
];

/** A write function whose calls complete only when the test says so, in any order. */
function manualWrites() {
  const calls: { what: string[]; done: (error?: Error) => void }[] = [];
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const write = (o: Outcomes): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const what = describeWrite(o);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      log.push(`start ${what.join(' ')}`);
      calls.push({
        what,
        done: (error) => {
          inFlight--;
          log.push(`${error ? 'fail' : 'end'} ${what.join(' ')}`);
          if (error) reject(error);
          else resolve();
        },
      });
    });
  return { write, calls, log, maxInFlight: () => maxInFlight };
}

const turn = () => new Promise((r) => setTimeout(r, 0));
const error = { name: 'E', message: 'm' };

/**
 * A buffer whose first write (`ack:a`) is in flight, with `ack:b` recorded after it started.
 * `maxInFlight` undefined: the default (one write at a time).
 */
async function aWriteInFlight(maxInFlight?: number, failures: unknown[] = []) {
  const w = manualWrites();
  const buffer = new OutcomeBuffer<Claim>(
    w.write,
    hooks(failures),
    maxInFlight === undefined ? undefined : { maxInFlight },
  );
  buffer.ack(claim('a'));
  buffer.schedule();
  await turn();
  buffer.ack(claim('b'));
  return { w, buffer };
}

describe('OutcomeBuffer with maxInFlight > 1', () => {
  it('starts an urgent write while another is in flight, and counts both as unwritten', async () => {
    const { w, buffer } = await aWriteInFlight(2);
    buffer.schedule(); // not urgent: waits for the write in flight (coalescing)
    await turn();
    expect(w.calls).toHaveLength(1);
    buffer.schedule(true); // handlers wait on the outcomes: write now
    await turn();
    expect(w.calls.map((c) => c.what)).toEqual([['ack:a@1'], ['ack:b@1']]);
    expect(buffer.unwritten()).toBe(2);
    const held: Claim[] = [];
    buffer.collectHeld(held);
    expect(held.map((c) => c.id).sort()).toEqual(['a', 'b']);
    w.calls[1]?.done();
    await turn();
    expect(buffer.unwritten()).toBe(1);
    w.calls[0]?.done();
    await buffer.whenSettled();
    expect(buffer.unwritten()).toBe(0);
    expect(w.maxInFlight()).toBe(2);
  });

  it('never writes an id while a write of the same id is in flight: a retry waits for the ack', async () => {
    const w = manualWrites();
    const buffer = new OutcomeBuffer<Claim>(w.write, hooks(), { maxInFlight: 3 });
    buffer.ack(claim('x', 1));
    buffer.schedule();
    await turn();
    // The same message again (a redelivery under a new token), plus unrelated outcomes.
    buffer.retry({ claim: claim('x', 2), delayMs: 5, error });
    buffer.ack(claim('y'));
    buffer.deadLetter({ claim: claim('x', 3), error, reason: 'poison' });
    buffer.release(claim('z'));
    buffer.schedule(true);
    await turn();
    expect(w.calls.map((c) => c.what)).toEqual([['ack:x@1'], ['ack:y@1', 'release:z@1']]);
    w.calls[1]?.done();
    await turn();
    // x is still being written: nothing of x starts, however many writes are free.
    expect(w.calls).toHaveLength(2);
    w.calls[0]?.done();
    await turn();
    expect(w.calls[2]?.what).toEqual(['retry:x@2', 'dead:x@3']);
    w.calls[2]?.done();
    await buffer.whenSettled();
    // Every outcome of x started only after the previous write of x ended.
    expect(w.log.indexOf('end ack:x@1')).toBeLessThan(w.log.indexOf('start retry:x@2 dead:x@3'));
  });

  it('keeps the outcomes of a failed write while others are in flight, and writes each once', async () => {
    const failures: unknown[] = [];
    const { w, buffer } = await aWriteInFlight(2, failures);
    buffer.retry({ claim: claim('c'), delayMs: 5, error });
    buffer.schedule(true);
    await turn();
    expect(w.calls).toHaveLength(2);
    w.calls[0]?.done(new Error('down')); // a fails while b, c are in flight
    await turn();
    const held: Claim[] = [];
    buffer.collectHeld(held);
    expect(held.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
    expect(buffer.unwritten()).toBe(3);
    w.calls[1]?.done();
    const settled = buffer.whenSettled();
    await new Promise((r) => setTimeout(r, 10)); // past the back-off
    expect(w.calls[2]?.what).toEqual(['ack:a@1']);
    w.calls[2]?.done();
    await settled;
    expect(failures).toHaveLength(1);
    const written = w.log.filter((l) => l.startsWith('end ')).flatMap((l) => l.slice(4).split(' '));
    expect(written.sort()).toEqual(['ack:a@1', 'ack:b@1', 'retry:c@1']);
  });

  it('whenSettled writes the small remainder at once and waits for every write in flight', async () => {
    const { w, buffer } = await aWriteInFlight(2);
    let done = false;
    const settled = buffer.whenSettled().then(() => {
      done = true;
    });
    await turn();
    expect(w.calls.map((c) => c.what)).toEqual([['ack:a@1'], ['ack:b@1']]);
    w.calls[1]?.done();
    await turn();
    expect(done).toBe(false);
    w.calls[0]?.done();
    await settled;
    expect(done).toBe(true);
  });

  it('with maxInFlight 1 (the default) writes one at a time, whatever schedule(true) says', async () => {
    const { w, buffer } = await aWriteInFlight();
    buffer.schedule(true);
    await turn();
    expect(w.calls).toHaveLength(1);
    w.calls[0]?.done();
    await turn();
    expect(w.calls[1]?.what).toEqual(['ack:b@1']);
    w.calls[1]?.done();
    await buffer.whenSettled();
    expect(w.maxInFlight()).toBe(1);
  });
});
