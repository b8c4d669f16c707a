import { describe, expect, it } from 'vitest';
import type { HandlerTraceInfo, LifecycleProvider } from '../src/index.js';
import { aroundHandlerOf, propagateOf } from '../src/lifecycle-hooks.js';

const info: HandlerTraceInfo = { provider: 'p', queue: 'q', consumerId: 'c', messages: [] };
const base = { onEvent: () => undefined };

function reporter() {
  const reported: string[] = [];
  return {
    reported,
    report: (error: unknown, _event: unknown, provider: LifecycleProvider) =>
      void reported.push(`${provider.name}: ${(error as Error).message}`),
  };
}

describe('aroundHandler hooks', () => {
  it('are absent when no provider has one (zero cost)', () => {
    expect(aroundHandlerOf([{ name: 'a', ...base }], () => undefined)).toBeUndefined();
    expect(propagateOf([{ name: 'a', ...base }], () => undefined)).toBeUndefined();
  });

  it('nest in order, the first outermost, and return the handler result', async () => {
    const order: string[] = [];
    const wrap = (name: string): LifecycleProvider => ({
      name,
      ...base,
      async aroundHandler(_i, run) {
        order.push(`${name}>`);
        const r = await run();
        order.push(`<${name}`);
        return r;
      },
    });
    const around = aroundHandlerOf([wrap('a'), wrap('b')], () => undefined);
    const result = await around?.(info, async () => {
      order.push('handler');
      return 42;
    });
    expect(result).toBe(42);
    expect(order).toEqual(['a>', 'b>', 'handler', '<b', '<a']);
  });

  it('a hook that throws before run is reported and the handler still runs exactly once', async () => {
    const r = reporter();
    let runs = 0;
    const around = aroundHandlerOf(
      [{ name: 'broken', ...base, aroundHandler: () => Promise.reject(new Error('bug')) }],
      r.report,
    );
    expect(await around?.(info, async () => ++runs)).toBe(1);
    expect(runs).toBe(1);
    expect(r.reported).toEqual(['broken: bug']);
  });

  it("the handler's own error passes through unreported; a hook failing after run is reported, the result kept", async () => {
    const r = reporter();
    const passThrough = aroundHandlerOf(
      [{ name: 'ok', ...base, aroundHandler: (_i, run) => run() }],
      r.report,
    );
    await expect(
      passThrough?.(info, async () => {
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(r.reported).toEqual([]);
    let runs = 0;
    const late = aroundHandlerOf(
      [
        {
          name: 'late',
          ...base,
          async aroundHandler(_i, run) {
            await run();
            throw new Error('after');
          },
        },
      ],
      r.report,
    );
    expect(await late?.(info, async () => ++runs)).toBe(1);
    expect(runs).toBe(1);
    expect(r.reported).toEqual(['late: after']);
  });

  it('a hook that calls run twice still runs the handler once', async () => {
    let runs = 0;
    const twice = aroundHandlerOf(
      [
        {
          name: 'twice',
          ...base,
          async aroundHandler(_i, run) {
            await run();
            return run();
          },
        },
      ],
      () => undefined,
    );
    await twice?.(info, async () => ++runs);
    expect(runs).toBe(1);
  });
});

describe('propagate hooks', () => {
  it('merge headers (later providers win) and isolate a throwing hook', () => {
    const r = reporter();
    const propagate = propagateOf(
      [
        { name: 'a', ...base, propagate: () => ({ traceparent: 'a', x: '1' }) },
        {
          name: 'bad',
          ...base,
          propagate: () => {
            throw new Error('nope');
          },
        },
        { name: 'b', ...base, propagate: () => ({ traceparent: 'b' }) },
      ],
      r.report,
    );
    expect(propagate?.({ provider: 'p', queue: 'q', type: 't', index: 0, batchSize: 1 })).toEqual({
      traceparent: 'b',
      x: '1',
    });
    expect(r.reported).toEqual(['bad: nope']);
  });
});

describe('hook failures: what is reported, with which event', () => {
  function eventReporter() {
    const reported: { provider: string; message: string; event: unknown }[] = [];
    return {
      reported,
      report: (error: unknown, event: unknown, provider: LifecycleProvider) =>
        void reported.push({ provider: provider.name, message: (error as Error).message, event }),
    };
  }

  it('a hook that never calls run is reported (as a delivered event) and the handler runs once', async () => {
    const r = eventReporter();
    let runs = 0;
    const around = aroundHandlerOf(
      [
        {
          name: 'lazy',
          ...base,
          aroundHandler: (async () => 1) as LifecycleProvider['aroundHandler'],
        },
      ],
      r.report,
    );
    expect(await around?.(info, async () => ++runs)).toBe(1);
    expect(runs).toBe(1);
    expect(r.reported).toEqual([
      {
        provider: 'lazy',
        message: 'aroundHandler of "lazy" did not call run',
        event: {
          type: 'delivered',
          provider: 'p',
          queue: 'q',
          consumerId: 'c',
          messages: expect.objectContaining({ length: 0 }),
        },
      },
    ]);
  });

  it('a hook that replaces the handler error with its own is reported; the handler error still wins', async () => {
    const r = eventReporter();
    const around = aroundHandlerOf(
      [
        {
          name: 'swap',
          ...base,
          async aroundHandler(_i, run) {
            try {
              return await run();
            } catch {
              throw new Error('hook error');
            }
          },
        },
      ],
      r.report,
    );
    await expect(
      around?.(info, async () => {
        throw new Error('handler error');
      }),
    ).rejects.toThrow('handler error');
    expect(r.reported.map((x) => x.message)).toEqual(['hook error']);
  });

  it('a throwing propagate hook is reported as a published event of its queue', () => {
    const r = eventReporter();
    const propagate = propagateOf(
      [
        {
          name: 'bad',
          ...base,
          propagate: () => {
            throw new Error('nope');
          },
        },
      ],
      r.report,
    );
    expect(propagate?.({ provider: 'p', queue: 'q', type: 't', index: 0, batchSize: 1 })).toBe(
      undefined,
    );
    expect(r.reported).toEqual([
      {
        provider: 'bad',
        message: 'nope',
        event: { type: 'published', provider: 'p', queue: 'q', messages: [] },
      },
    ]);
  });

  it('hooks that add nothing give undefined (no empty header object)', () => {
    const propagate = propagateOf(
      [{ name: 'none', ...base, propagate: () => undefined }],
      () => undefined,
    );
    expect(propagate?.({ provider: 'p', queue: 'q', type: 't', index: 0, batchSize: 1 })).toBe(
      undefined,
    );
  });
});
