// Runs every example as its users would — a child process, from the repository root, importing
// the built packages (`@mqkit/*` resolves through the workspace to each package's dist/) — and
// checks what it printed and how it exited.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigurationError,
  consumeDefaults,
  DEFAULT_MAX_MESSAGE_BYTES,
  ErrorCode,
} from '@mqkit/core';
import { QUEUE_OPTION_KEYS, qualifyQueueName, resolveConsumeOptions } from '@mqkit/core/provider';
import { createMemoryQueue } from '@mqkit/memory';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runExample(
  file: string,
  env: Record<string, string | undefined> = {},
  timeoutMs = 20_000,
): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, MQKIT_PROVIDER: undefined, ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // An example that does not exit by itself (a timer or socket left open) fails here.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  for (const name of ['core', 'memory']) {
    const entry = join(root, 'packages', name, 'dist', 'index.js');
    if (!existsSync(entry)) {
      throw new Error(
        `examples import the built packages: ${entry} is missing (run \`pnpm build\`)`,
      );
    }
  }
});

describe('examples/quickstart', () => {
  let result: RunResult;
  beforeAll(async () => {
    result = await runExample('examples/quickstart/main.ts');
  }, 30_000);

  it('exits 0 by itself', () => {
    expect(result.stderr).not.toMatch(/Error:|not every message/);
    expect(result.code).toBe(0);
  });

  it('delivers every message but the permanent failure, two of them after retries', () => {
    expect(result.stdout).toMatch(/^ {2}published\s+12$/m);
    expect(result.stdout).toMatch(/^ {2}delivered\s+11 \(2 after a retry\)$/m);
    // carol fails once, erin twice: three rescheduled attempts in all.
    expect(result.stdout).toMatch(/^ {2}retried\s+3$/m);
    expect(result.stdout).toMatch(/^ {2}deliveries\s+15 /m);
  });

  it('dead-letters the invalid invoice at once, with its reason read back from the dead letters', () => {
    expect(result.stdout).toMatch(/^ {2}dead-lettered\s+1$/m);
    expect(result.stdout).toContain(
      '- invoice.render inv-1003 after 1 attempt(s): NonRetryableError: invoice INV-1003 has a negative amount (-500 cents)',
    );
  });

  it('reports a wall time of a few seconds at most', () => {
    const match = /^ {2}wall time\s+([\d.]+) s$/m.exec(result.stdout);
    expect(match).not.toBeNull();
    expect(Number(match?.[1])).toBeLessThan(10);
  });
});

// examples/di-swap runs in examples-di-swap.test.ts, once per reachable provider.

// The README's quick start and the reference tables in docs/ are part of what users run and
// read; these checks fail when they drift from the code.
describe('README and docs', () => {
  const read = (path: string): string => readFileSync(join(root, path), 'utf8');

  it('opens the quick start with exactly the demo line and the test line that .ci/run runs', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('\n## Quick start'));
    const block = /\n```[^\n]*\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block?.split('\n')).toEqual([
      'npx -y pnpm@10 install --frozen-lockfile && npx -y pnpm@10 demo',
      'npx -y pnpm@10 install --frozen-lockfile && npx -y pnpm@10 test',
    ]);
    const ciCommand = /^TEST_CMD='(.*)'$/m.exec(read('.ci/run'))?.[1];
    expect(ciCommand).toBe(block?.split('\n')[1]);
  });

  it('documents every consume and queue option, with the defaults the code uses', () => {
    const table = read('docs/options.md');
    const rowOf = (key: string): string | undefined =>
      table.split('\n').find((line) => new RegExp(`^\\| \`${key}\` +\\|`).test(line));
    const flatten = (value: unknown, prefix = ''): [string, unknown][] =>
      typeof value === 'object' && value !== null
        ? Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k))
        : [[prefix, value]];
    const resolved = resolveConsumeOptions({ rateLimit: { perSecond: 1 } }, 'docs');
    const keys = [
      ...flatten(resolved).map(([key]) => key),
      'rateLimit',
      ...QUEUE_OPTION_KEYS,
      'store',
      'immediate',
    ];
    for (const key of keys)
      expect(rowOf(key), `docs/options.md has no row for ${key}`).toBeDefined();
    for (const [key, value] of flatten(consumeDefaults)) {
      const defaultCell = rowOf(key)?.split('|')[3] ?? '';
      expect(defaultCell, `default of ${key}`).toContain(String(value));
    }
    expect(rowOf('maxMessageBytes')).toContain(String(DEFAULT_MAX_MESSAGE_BYTES));
  });

  it('lists every error code', () => {
    const errors = read('docs/errors.md');
    for (const code of Object.values(ErrorCode)) expect(errors).toContain(`\`${code}\``);
  });

  it('states the stored queue name the code builds (namespace:queue)', () => {
    // The refinements row for queues (Kinesis streams map to `namespace.queue`: another row).
    const row = read('docs/architecture.md')
      .split('\n')
      .find((line) => line.startsWith('| namespace prefixes every queue'));
    expect(qualifyQueueName('namespace', 'queue')).toBe('namespace:queue');
    expect(row).toContain('stored name is `namespace:queue`');
  });

  it('says what stop() and a non-boolean logPayloads really throw', async () => {
    const options = read('docs/options.md');
    const errors = read('docs/errors.md');
    const queue = createMemoryQueue();
    const consumer = queue.consume('docs-check', async () => {});
    await expect(consumer.stop({ timeoutMs: -1 })).rejects.toBeInstanceOf(ConfigurationError);
    await queue.close();
    expect(() => createMemoryQueue({ logPayloads: 'yes' as unknown as boolean })).toThrow(
      ConfigurationError,
    );
    expect(`${options}\n${errors}`).not.toMatch(/TypeError|any other value means off/);
    expect(options).not.toMatch(/later `createPrismaQueue/);
  });
});
