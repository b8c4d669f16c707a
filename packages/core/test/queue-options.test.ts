// resolveQueueOptions: the options every provider factory shares — defaults, each validation
// (field named, what to do), and the default logger's level and redaction.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultLogger, jsonSerializer } from '../src/index.js';
import { QUEUE_OPTION_KEYS, resolveQueueOptions } from '../src/provider.js';
import { configError } from './thrown.js';

const silent = pino({ level: 'silent' });

describe('resolveQueueOptions', () => {
  it('fills the documented defaults', () => {
    const r = resolveQueueOptions(undefined, 'memory', []);
    expect(r.namespace).toBeUndefined();
    expect(r.logPayloads).toBe(false);
    expect(r.serializer).toBe(jsonSerializer);
    expect(r.maxMessageBytes).toBe(262_144);
    expect(r.generateId()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(r.generateId()).not.toBe(r.generateId());
    for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const)
      expect(typeof r.logger[level]).toBe('function');
  });
  it('keeps what was given', () => {
    const serializer = { name: 's', serialize: () => 'x', deserialize: () => 1 };
    const generateId = () => 'id';
    const r = resolveQueueOptions(
      {
        namespace: 'prod',
        logger: silent,
        logPayloads: true,
        serializer,
        maxMessageBytes: 1,
        generateId,
      },
      'memory',
      [],
    );
    expect(r.namespace).toBe('prod');
    expect(r.logger).toBe(silent);
    expect(r.logPayloads).toBe(true);
    expect(r.serializer).toBe(serializer);
    expect(r.maxMessageBytes).toBe(1);
    expect(r.generateId).toBe(generateId);
  });
  it('lists the common keys and accepts a provider key beside them', () => {
    expect(QUEUE_OPTION_KEYS).toEqual([
      'namespace',
      'logger',
      'logPayloads',
      'lifecycle',
      'onLifecycleError',
      'serializer',
      'maxMessageBytes',
      'generateId',
    ]);
    expect(() => resolveQueueOptions({ store: 1 } as never, 'memory', ['store'])).not.toThrow();
    expect(
      configError(() => resolveQueueOptions({ store: 1 } as never, 'memory', [])).message,
    ).toMatch(/store/);
  });
  it('rejects a logger without every pino method, naming the missing one', () => {
    const e = configError(() =>
      resolveQueueOptions(
        { logger: { ...silent, trace: () => {}, warn: 1 } as never },
        'memory',
        [],
      ),
    );
    expect(e.field).toBe('logger');
    expect(e.message).toContain('must be a pino-compatible logger with a "warn" method');
    for (const level of ['trace', 'debug', 'info', 'error']) {
      const logger = {
        trace() {},
        debug() {},
        info() {},
        warn() {},
        error() {},
        [level]: undefined,
      };
      expect(
        configError(() => resolveQueueOptions({ logger } as never, 'memory', [])).message,
      ).toContain(`"${level}" method`);
    }
  });
  it('rejects a serializer without both methods', () => {
    for (const serializer of [
      { name: 'x', serialize: () => '' },
      { name: 'x', deserialize: () => 1 },
    ]) {
      const e = configError(() => resolveQueueOptions({ serializer } as never, 'memory', []));
      expect(e.field).toBe('serializer');
      expect(e.message).toContain('must have serialize() and deserialize() methods');
    }
  });
  it('rejects a generateId or onLifecycleError that is not a function', () => {
    const id = configError(() => resolveQueueOptions({ generateId: 'x' } as never, 'memory', []));
    expect(id.field).toBe('generateId');
    expect(id.message).toContain('must be a function returning a string');
    const hook = configError(() =>
      resolveQueueOptions({ onLifecycleError: 1 } as never, 'memory', []),
    );
    expect(hook.field).toBe('onLifecycleError');
    expect(hook.message).toContain('must be a function');
    expect(() =>
      resolveQueueOptions({ onLifecycleError: () => {}, generateId: () => 'a' }, 'memory', []),
    ).not.toThrow();
  });
  it('accepts one lifecycle provider or an array, and rejects anything else in either', () => {
    const seen: string[] = [];
    const provider = { name: 'p', onEvent: (e: { type: string }) => void seen.push(e.type) };
    for (const lifecycle of [provider, [provider]]) {
      const r = resolveQueueOptions({ lifecycle, logger: silent } as never, 'memory', []);
      r.lifecycle.emit({
        type: 'consumerStarted',
        provider: 'memory',
        queue: 'q',
        consumerId: 'c',
      });
    }
    expect(seen).toEqual(['consumerStarted', 'consumerStarted']);
    for (const lifecycle of [null, 1, { name: 'p' }, [provider, { onEvent: 1 }], [null]]) {
      const e = configError(() => resolveQueueOptions({ lifecycle } as never, 'memory', []));
      expect(e.field).toBe('lifecycle');
      expect(e.message).toContain(
        'must be a LifecycleProvider ({ name, onEvent }) or an array of them',
      );
    }
  });
  it('validates maxMessageBytes between 1 byte and 1 GiB', () => {
    expect(
      resolveQueueOptions({ maxMessageBytes: 1_073_741_824 }, 'memory', []).maxMessageBytes,
    ).toBe(1_073_741_824);
    for (const maxMessageBytes of [0, 1_073_741_825, 1.5, '10'])
      expect(
        configError(() => resolveQueueOptions({ maxMessageBytes } as never, 'memory', [])).field,
      ).toBe('maxMessageBytes');
  });
  it('validates the namespace and logPayloads', () => {
    expect(configError(() => resolveQueueOptions({ namespace: 'a:b' }, 'memory', [])).field).toBe(
      'namespace',
    );
    expect(
      configError(() => resolveQueueOptions({ logPayloads: 'yes' } as never, 'memory', [])).field,
    ).toBe('logPayloads');
  });
});

describe('createDefaultLogger', () => {
  const saved = process.env.MQKIT_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.MQKIT_LOG_LEVEL;
    else process.env.MQKIT_LOG_LEVEL = saved;
  });
  const levelOf = (logger: unknown) => (logger as { level: string }).level;
  it('is at warn, or at a known MQKIT_LOG_LEVEL in any case, ignoring unknown ones', () => {
    delete process.env.MQKIT_LOG_LEVEL;
    expect(levelOf(createDefaultLogger())).toBe('warn');
    process.env.MQKIT_LOG_LEVEL = 'DEBUG';
    expect(levelOf(createDefaultLogger())).toBe('debug');
    process.env.MQKIT_LOG_LEVEL = 'silent';
    expect(levelOf(createDefaultLogger())).toBe('silent');
    process.env.MQKIT_LOG_LEVEL = 'loud';
    expect(levelOf(createDefaultLogger())).toBe('warn');
  });
  it('names itself mqkit unless told otherwise', () => {
    expect((createDefaultLogger() as unknown as { bindings(): unknown }).bindings()).toEqual({
      name: 'mqkit',
    });
    expect((createDefaultLogger('x') as unknown as { bindings(): unknown }).bindings()).toEqual({
      name: 'x',
    });
  });
});

// The redaction paths, through a pino built the same way writing to memory (the default logger
// writes to stdout, which the test cannot read).
describe('default logger redaction', () => {
  it('redacts password fields wholly and credentials inside url and connection strings', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const original = process.stdout.write.bind(process.stdout);
    // pino's default destination is stdout: capture it for one line.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      sink.write(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      delete process.env.MQKIT_LOG_LEVEL;
      const logger = createDefaultLogger();
      logger.warn(
        {
          password: 'hunter2',
          url: 'postgresql://u:pw@h/db',
          db: { connectionString: 'mongodb://u:pw2@h', password: 'x' },
        },
        'm',
      );
      // pino may write asynchronously: wait for the line (generous, the machine may be busy).
      for (let i = 0; i < 200 && !lines.join('').includes('\n'); i++)
        await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.stdout.write = original;
    }
    const line = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(line.password).toBe('[redacted]');
    expect(line.url).toBe('postgresql://u:***@h/db');
    expect(line.db).toEqual({ connectionString: 'mongodb://u:***@h', password: '[redacted]' });
  });
});
