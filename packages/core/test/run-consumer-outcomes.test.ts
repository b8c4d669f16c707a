// runConsumer's bound on handled-but-unwritten messages and its extra outcome writes, against a
// fake backend whose writes complete only when the test says so.
import { describe, expect, it } from 'vitest';
import { jsonSerializer } from '../src/index.js';
import {
  type Claim,
  type ConsumerBackend,
  createLifecycleDispatcher,
  type Outcomes,
  resolveConsumeOptions,
  runConsumer,
} from '../src/provider.js';
import { testClaim } from './claim-fixture.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const turn = () => new Promise((r) => setTimeout(r, 5));

function fakeBackend(total: number, maxSettlesInFlight?: number) {
  let next = 0;
  const settles: { ids: string[]; done: () => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const written = new Set<string>();
  const backend: ConsumerBackend<Claim> = {
    async claim(limit) {
      const out: Claim[] = [];
      while (out.length < limit && next < total) {
        const id = `m${next++}`;
        out.push(testClaim(id, { body: '1' }));
      }
      return out;
    },
    async extend() {
      return [];
    },
    settle(o: Outcomes<Claim>) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<void>((resolve) => {
        const ids = o.acked.map((c) => c.id);
        let finished = false;
        settles.push({
          ids,
          done: () => {
            if (finished) return;
            finished = true;
            inFlight--;
            for (const id of ids) written.add(id);
            resolve();
          },
        });
      });
    },
    ...(maxSettlesInFlight === undefined ? {} : { maxSettlesInFlight }),
  };
  return { backend, settles, written, maxInFlight: () => maxInFlight };
}

/** Completes every write until `stopping` resolves. */
async function finish(f: ReturnType<typeof fakeBackend>, stopping: Promise<void>): Promise<void> {
  let stopped = false;
  void stopping.then(() => {
    stopped = true;
  });
  while (!stopped) {
    for (const s of f.settles) s.done();
    await turn();
  }
}

function start(backend: ConsumerBackend<Claim>, handler: () => Promise<void>) {
  const handled: string[] = [];
  const consumer = runConsumer({
    backend,
    queue: 'q',
    handler: async (batch) => {
      for (const m of batch) handled.push(m.id);
      await handler();
    },
    options: resolveConsumeOptions({ concurrency: 2, prefetch: 20, pollIntervalMs: 50 }, 'test'),
    provider: 'test',
    logger: silent,
    lifecycle: createLifecycleDispatcher(undefined, silent),
    serializer: jsonSerializer,
  });
  return { consumer, handled };
}

describe('runConsumer: handled-but-unwritten bound and extra outcome writes', () => {
  it('fast handlers: at most 3 × concurrency × batchSize handled before any outcome is written', async () => {
    const f = fakeBackend(100);
    const { consumer, handled } = start(f.backend, async () => undefined);
    await turn();
    await turn();
    // concurrency 2 × batchSize 1: 6 handled (the former bound, 2 × 2 unwritten, stopped at 4).
    expect(handled).toHaveLength(6);
    expect(f.settles).toHaveLength(1); // one write at a time by default
    f.settles[0]?.done();
    await turn();
    expect(handled.length).toBeGreaterThan(6);
    // Never more messages handled than written plus the bound.
    expect(handled.length - f.written.size).toBeLessThanOrEqual(6);
    for (const s of f.settles.slice(1)) s.done();
    await turn();
    expect(handled.length - f.written.size).toBeLessThanOrEqual(6);
    const stopping = consumer.stop({ timeoutMs: 1_000 });
    await finish(f, stopping);
  });

  it('slow handlers: running handlers count at their batch size, so 2 × concurrency stay unwritten at most', async () => {
    const f = fakeBackend(100);
    const release: (() => void)[] = [];
    const { consumer, handled } = start(f.backend, () => new Promise<void>((r) => release.push(r)));
    await turn();
    expect(handled).toHaveLength(2);
    for (const r of release.splice(0)) r(); // 2 unwritten, 2 more start
    await turn();
    for (const r of release.splice(0)) r(); // 4 unwritten: 2 more start (4 + 2 running = 6)
    await turn();
    expect(handled).toHaveLength(4 + 2);
    expect(release).toHaveLength(2);
    for (const r of release.splice(0)) r(); // 6 unwritten: nothing starts, though both slots are free
    await turn();
    expect(handled).toHaveLength(6);
    const stopping = consumer.stop({ timeoutMs: 1_000 });
    for (let i = 0; i < 20; i++) {
      for (const s of f.settles) s.done();
      for (const r of release.splice(0)) r();
      await turn();
    }
    await stopping;
  });

  it('with maxSettlesInFlight 2, a second write starts while handlers wait, with other ids', async () => {
    const f = fakeBackend(100, 2);
    const { consumer, handled } = start(f.backend, async () => undefined);
    await turn();
    await turn();
    expect(handled).toHaveLength(6);
    expect(f.maxInFlight()).toBe(2);
    const [first, second] = f.settles;
    expect(first?.ids.length).toBeGreaterThan(0);
    expect(second?.ids.length).toBeGreaterThan(0);
    expect(first?.ids.filter((id) => second?.ids.includes(id))).toEqual([]);
    // Both writes together carry every handled message: nothing is left waiting.
    expect([...(first?.ids ?? []), ...(second?.ids ?? [])].sort()).toEqual([...handled].sort());
    await finish(f, consumer.stop({ timeoutMs: 1_000 }));
    expect(f.maxInFlight()).toBeLessThanOrEqual(2);
    // Each message's outcome was written once.
    const all = f.settles.flatMap((s) => s.ids);
    expect(new Set(all).size).toBe(all.length);
  });
});
