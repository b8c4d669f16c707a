// examples/di-swap as its users run it — a child process importing the built packages — once per
// provider whose backend is reachable: the same application code must deliver every order through
// both wirings (plain composition root and awilix), and the process must exit promptly once the
// app has disposed the queue and its client.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeRedis, REDIS_URL, startKinesis } from '../packages/kinesis/test/support.js';
import { mariadb, postgres, probe } from '../packages/prisma/test/databases.js';
import { type MongoEndpoint, startMongo } from './support/congo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAIN = 'examples/di-swap/main.ts';
/** After `disposed` is printed, the process must be gone within this (CPU is shared: generous). */
const EXIT_AFTER_DISPOSE_MS = 3_000;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the `disposed` line to the process exit; undefined when never printed. */
  exitAfterDisposeMs: number | undefined;
}

function runExample(
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    MQKIT_PROVIDER: undefined,
    MQKIT_NAMESPACE: undefined,
    DATABASE_URL: undefined,
    ...env,
  };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let disposedAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (disposedAt === undefined && /^disposed$/m.test(stdout)) disposedAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${MAIN} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitAfterDisposeMs =
        disposedAt === undefined ? undefined : performance.now() - disposedAt;
      resolve({ code, stdout, stderr, exitAfterDisposeMs });
    });
  });
}

const unique = (): string =>
  `diswap${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

interface ProviderCase {
  readonly provider: string;
  /** Resolves to the backend's URL (and extra env), or throws/returns a reason string when unreachable. */
  reach(): Promise<{ url?: string; env?: Record<string, string> } | string>;
}

let mongo: MongoEndpoint | undefined;
let kinesis: Awaited<ReturnType<typeof startKinesis>> | undefined;
const kinesisNamespace = unique();
afterAll(async () => {
  await mongo?.stop();
  await kinesis?.stop();
  if (kinesis === undefined) return;
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`mqkit:{${kinesisNamespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const cases: ProviderCase[] = [
  { provider: 'memory', reach: async () => ({}) },
  {
    provider: 'prisma-postgresql',
    reach: async () => (await probe(postgres)) ?? { url: postgres.url },
  },
  {
    provider: 'prisma-mariadb',
    reach: async () => (await probe(mariadb)) ?? { url: mariadb.url },
  },
  {
    provider: 'mongodb',
    reach: async () => {
      mongo = await startMongo();
      return { url: mongo.url };
    },
  },
  {
    // kinesalite in process; leases, checkpoints and dead letters in the machine's Redis.
    provider: 'kinesis',
    reach: async () => {
      const unreachable = await probeRedis();
      if (unreachable) return unreachable;
      kinesis = await startKinesis();
      return {
        env: {
          KINESIS_ENDPOINT: kinesis.endpoint,
          AWS_ACCESS_KEY_ID: 'example',
          AWS_SECRET_ACCESS_KEY: 'example',
          AWS_REGION: 'us-east-1',
          // The SDK warns on stderr that its 2027 releases need Node 22; the example runs on 20.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      };
    },
  },
];

for (const { provider, reach } of cases) {
  const reached = await reach().catch((error: unknown) =>
    error instanceof Error ? error.message : String(error),
  );
  if (typeof reached === 'string')
    console.log(`SKIPPED: examples/di-swap on ${provider} — ${reached}`);

  describe.runIf(typeof reached !== 'string')(`examples/di-swap on ${provider}`, () => {
    let result: RunResult;
    beforeAll(async () => {
      const url = typeof reached === 'string' ? undefined : reached.url;
      const env = typeof reached === 'string' ? {} : (reached.env ?? {});
      result = await runExample({
        MQKIT_PROVIDER: provider,
        MQKIT_NAMESPACE: provider === 'kinesis' ? kinesisNamespace : unique(),
        DATABASE_URL: url,
        ...env,
      });
    }, 90_000);

    it('exits 0 with nothing on stderr', () => {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    it('delivers every order through the plain composition root and through awilix', () => {
      const p = provider.replace(/[-]/g, '\\-');
      expect(result.stdout).toMatch(
        new RegExp(
          `^plain composition root\\s+provider=${p} {2}published 3 {2}delivered 3: plain-A-1001, plain-A-1002, plain-A-1003$`,
          'm',
        ),
      );
      expect(result.stdout).toMatch(
        new RegExp(
          `^awilix container\\s+provider=${p} {2}published 3 {2}delivered 3: awilix-A-1001, awilix-A-1002, awilix-A-1003$`,
          'm',
        ),
      );
    });

    it(`exits within ${EXIT_AFTER_DISPOSE_MS} ms of disposing (no client or timer left open)`, () => {
      expect(result.exitAfterDisposeMs).toBeDefined();
      expect(result.exitAfterDisposeMs).toBeLessThan(EXIT_AFTER_DISPOSE_MS);
    });
  });
}

describe('examples/di-swap wiring', () => {
  it('uses memory when MQKIT_PROVIDER is unset', async () => {
    const { code, stdout } = await runExample({});
    expect(code).toBe(0);
    expect(stdout.match(/provider=memory {2}published 3 {2}delivered 3/g)).toHaveLength(2);
  });

  it('refuses an unknown provider, naming the accepted ones', async () => {
    const { code, stderr } = await runExample({ MQKIT_PROVIDER: 'no-such-backend' });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'MQKIT_PROVIDER="no-such-backend" is not a known provider (accepted: memory, prisma-postgresql, prisma-mariadb, mongodb, kinesis)',
    );
  });

  it('keeps the application code free of any provider package', () => {
    const appDir = join(root, 'examples', 'di-swap', 'app');
    const files = readdirSync(appDir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const source = readFileSync(join(appDir, file), 'utf8');
      // `from '…'`, side-effect `import '…'` and dynamic `import('…')`.
      const imports = [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
        (m) => m[1],
      );
      for (const specifier of imports) {
        expect(
          specifier === '@mqkit/core' || specifier?.startsWith('./'),
          `${file} imports ${specifier}`,
        ).toBe(true);
      }
    }
  });
});
