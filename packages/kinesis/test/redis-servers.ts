import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';

/** `undefined` when redis-server and redis-cli are installed, else why not (for the SKIPPED line). */
export function probeRedisBinaries(): string | undefined {
  for (const bin of ['redis-server', 'redis-cli']) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.status !== 0) return `${bin} not found (install the Debian package redis-server)`;
  }
  return undefined;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A free port whose cluster bus port (+10 000) is free too. */
export async function spareRedisPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
}

/** A throw-away redis-server (never the shared one): no persistence unless `dir` is given. */
export interface ThrowAwayRedis {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGKILLs the server and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts redis-server on `port` (a spare one by default) and waits until it answers PING. */
export async function startRedisServer(
  options: { port?: number; args?: string[] } = {},
): Promise<ThrowAwayRedis> {
  const port = options.port ?? (await spareRedisPort());
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...(options.args ?? []),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPing(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {}); // refused until the server listens
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
}

/** A throw-away 3-master Redis Cluster on spare ports. */
export interface ThrowAwayCluster {
  readonly ports: readonly number[];
  /** A connected ioredis Cluster client (closed by `stop`). */
  client(): Cluster;
  stop(): Promise<void>;
}

/** `redis-server --cluster-enabled yes` ×3, joined with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<ThrowAwayCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mqkit-cluster-'));
  const servers: ThrowAwayRedis[] = [];
  const clients: Cluster[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await spareRedisPort();
      servers.push(
        await startRedisServer({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--dir',
            dir,
          ],
        }),
      );
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...servers.map((s) => `127.0.0.1:${s.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}`);
    // Every node must agree before slots are served.
    const deadline = Date.now() + 20_000;
    for (const s of servers) {
      for (;;) {
        const info = spawnSync('redis-cli', ['-p', String(s.port), 'cluster', 'info'], {
          encoding: 'utf8',
        });
        if (info.stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error('the throw-away cluster never reached state ok');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    for (const s of servers) await s.kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ports: servers.map((s) => s.port),
    client() {
      const c = new Cluster(servers.map((s) => ({ host: '127.0.0.1', port: s.port })));
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      for (const s of servers) await s.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
