// Helpers of the @mqkit/prisma crash e2e: worker processes, a throw-away PostgreSQL cluster,
// and the checks that read the handlers' own record (e2e_handled).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const workerScript = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** A running worker process. */
export interface Worker {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** Starts one worker (`node --import tsx worker.ts`) and resolves once it consumes. */
export async function startWorker(name: string, env: Record<string, string>): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    cwd: root,
    env: { ...process.env, ...env, MQKIT_E2E_WORKER: name },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`worker ${name} exited early (${code})`)));
  });
  return { name, process: child, exited };
}

/** SIGTERMs every live worker and waits for it to exit. */
export async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill('SIGTERM');
      const timer = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
      await w.exited;
      clearTimeout(timer);
    }),
  );
}

/** Polls `check` every 100 ms until it is true or `timeoutMs` passes (then throws `what`). */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A throw-away PostgreSQL cluster (its own data directory and port), run as `postgres`. */
export interface ScratchPostgres {
  readonly url: string;
  stop(): void;
  start(): void;
  /** Stops the server and removes its data directory. */
  destroy(): void;
}

/** Why a scratch cluster cannot run here, or `undefined` when it can. */
export function scratchPostgresUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to run initdb as the postgres user';
  try {
    execFileSync(`${PG_BIN}/initdb`, ['--version'], { stdio: 'ignore' });
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
  } catch {
    return `${PG_BIN}/initdb or the postgres user is missing`;
  }
  return undefined;
}

/** initdb + pg_ctl start on a spare port in a temp directory. Never touches the shared server. */
export async function startScratchPostgres(): Promise<ScratchPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'mqkit-pg-'));
  execFileSync('chown', ['postgres', dir]);
  const data = join(dir, 'data');
  const port = await freePort();
  const asPostgres = (command: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
  asPostgres(`${PG_BIN}/initdb`, [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100`;
  const start = () =>
    asPostgres(`${PG_BIN}/pg_ctl`, [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'log'),
      '-w',
      'start',
    ]);
  const stop = () => asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']);
  start();
  asPostgres(`${PG_BIN}/psql`, [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'postgres',
    '-c',
    'CREATE DATABASE test',
  ]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/test`,
    start,
    stop,
    destroy() {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
