// Starts the metrics-server example and a real Prometheus (Debian's `prometheus` 2.42) as child
// processes for the metrics e2e test, and wraps `promtool`.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why Prometheus tests cannot run here (binaries missing), or undefined. */
export function prometheusUnavailable(): string | undefined {
  for (const bin of ['prometheus', 'promtool']) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0)
      return `\`${bin}\` not found (apt-get install -y --no-install-recommends prometheus; .ci/run does it)`;
  }
  return undefined;
}

/** Runs `promtool` with `args` (and optional stdin); resolves to exit status and output. */
export function promtool(args: string[], input?: string, cwd?: string) {
  const r = spawnSync('promtool', args, { encoding: 'utf8', input, cwd, timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A child process with its collected output. */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export function start(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Child {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    process: child,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Starts examples/metrics-server on a free port; resolves once it prints its address. */
export async function startMetricsServer(
  root: string,
  extraEnv: Record<string, string> = {},
): Promise<{ child: Child; url: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  for (const key of ['MQKIT_PROVIDER', 'MQKIT_NAMESPACE', 'DATABASE_URL']) delete env[key];
  Object.assign(env, extraEnv);
  const child = start(
    process.execPath,
    ['--import', 'tsx', 'examples/metrics-server/main.ts'],
    env,
    root,
  );
  const url = await waitFor(
    () => child.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1],
    30_000,
    () => `metrics-server did not start:\n${child.output()}`,
  );
  return { child, url };
}

/** A running Prometheus scraping `target` (host:port) every second. */
export interface TestPrometheus {
  readonly child: Child;
  readonly url: string;
  /** Instant query; throws on an API error. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Stops Prometheus and removes its data directory. */
  stop(): Promise<void>;
}

export async function startPrometheus(target: string): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'mqkit-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: mqkit\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  const port = await freePort();
  const child = start(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    process.env,
    dir,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () =>
      (await fetch(`${url}/-/ready`)
        .then((r) => r.ok)
        .catch(() => false)) || undefined,
    30_000,
    () => `prometheus did not become ready:\n${child.output()}`,
  );
  return {
    child,
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data?.result ?? [];
    },
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` every 200 ms until it returns a defined value, or throws `describe()` after `ms`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  ms: number,
  describe: () => string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((r) => setTimeout(r, 200));
  }
}
