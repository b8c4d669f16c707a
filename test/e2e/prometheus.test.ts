// Metrics against a real Prometheus: the metrics-server example is scraped every second, its
// series are read back through Prometheus's HTTP API, and promtool checks the exposition, the
// alert rules (with their unit tests) and every expression of the Grafana dashboard.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgres, probe } from '../../packages/prisma/test/databases.js';
import {
  type Child,
  prometheusUnavailable,
  promtool,
  startMetricsServer,
  startPrometheus,
  type TestPrometheus,
  waitFor,
} from './prometheus/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const unavailable = prometheusUnavailable();
if (unavailable) console.log(`SKIPPED: real Prometheus e2e — ${unavailable}`);

describe.runIf(unavailable === undefined)('metrics in a real Prometheus', () => {
  let server: { child: Child; url: string };
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    server = await startMetricsServer(root);
    prometheus = await startPrometheus(new URL(server.url).host);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    const code = await server?.child.stop();
    // The example shuts down gracefully on SIGTERM.
    expect(code).toBe(0);
  });

  const post = (path: string) =>
    fetch(`${server.url}${path}`, { method: 'POST' }).then(async (r) => {
      expect(r.status).toBe(200);
      return r.json();
    });
  /** The single value of `expr` once it equals `expected` (polled: Prometheus scrapes every 1 s). */
  const until = (expr: string, expected: number) =>
    waitFor(
      async () => {
        const [sample] = await prometheus.query(expr);
        return sample !== undefined && Number(sample.value[1]) === expected ? expected : undefined;
      },
      45_000,
      () => `${expr} never became ${expected}`,
    );

  it('counts exactly the messages processed, and the depth gauge follows a backlog up and down', async () => {
    await post('/demo/orders?count=20');
    await until('sum(mqkit_messages_succeeded_total{queue="orders"})', 20);
    expect(
      Number(
        (await prometheus.query('sum(mqkit_messages_published_total{queue="orders"})'))[0]
          ?.value[1],
      ),
    ).toBe(20);

    // Build a backlog with the worker paused: depth goes to 30 …
    await post('/demo/pause');
    await post('/demo/orders?count=30');
    await until('mqkit_queue_messages{queue="orders",state="ready"}', 30);
    const [age] = await prometheus.query('mqkit_queue_oldest_ready_age_seconds{queue="orders"}');
    expect(Number(age?.value[1])).toBeGreaterThan(0);
    // … and back to 0 once the worker drains it.
    await post('/demo/resume');
    await until('mqkit_queue_messages{queue="orders",state="ready"}', 0);
    await until('sum(mqkit_messages_succeeded_total{queue="orders"})', 50);
    expect(
      Number((await prometheus.query('sum(mqkit_messages_failed_total)'))[0]?.value[1] ?? 0),
    ).toBe(0);
  }, 120_000);

  it('serves /healthz and /readyz with the health report', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        ok: boolean;
        backend: { ok: boolean };
        consumers: unknown[];
      };
      expect(body.ok).toBe(true);
      expect(body.backend.ok).toBe(true);
      expect(body.consumers).toHaveLength(1);
    }
  });

  it('the scraped exposition passes `promtool check metrics`', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('mqkit_messages_succeeded_total');
    const r = promtool(['check', 'metrics'], text);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('every Grafana dashboard expression evaluates in Prometheus without an error', async () => {
    const dashboard = JSON.parse(readFileSync(`${root}/docs/grafana/mqkit.json`, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    for (const expr of exprs) {
      const concrete = expr.replaceAll('$__rate_interval', '1m').replaceAll('$queue', '.*');
      await expect(prometheus.query(concrete), concrete).resolves.toBeInstanceOf(Array);
    }
    // And the panels that have data now show it.
    expect(
      await prometheus.query(
        'sum by (queue) (rate(mqkit_messages_succeeded_total{queue=~".*"}[1m]))',
      ),
    ).not.toHaveLength(0);
  });
});

// The example itself runs whether or not Prometheus is installed.
const postgresDown = await probe(postgres);
if (postgresDown) console.log(`SKIPPED: metrics-server on prisma-postgresql — ${postgresDown}`);

describe('examples/metrics-server', () => {
  it.runIf(postgresDown === undefined)(
    'runs on PostgreSQL through the same DI entry: depth from a real stats() query, counts by provider',
    async () => {
      const namespace = `ms${Date.now().toString(36)}`;
      const { child, url } = await startMetricsServer(root, {
        MQKIT_PROVIDER: 'prisma-postgresql',
        DATABASE_URL: postgres.url,
        MQKIT_NAMESPACE: namespace,
      });
      try {
        expect(child.output()).toContain('(provider prisma)');
        await fetch(`${url}/demo/pause`, { method: 'POST' });
        await fetch(`${url}/demo/orders?count=4`, { method: 'POST' });
        const series = (state: string) =>
          `mqkit_queue_messages{queue="orders",provider="prisma",state="${state}"} `;
        const metrics = async () => (await fetch(`${url}/metrics`)).text();
        // statsCacheMs is 5 s by default: wait for a fresh sample rather than sleep.
        await waitFor(
          async () => (await metrics()).includes(`${series('ready')}4`) || undefined,
          20_000,
          () => 'ready never reached 4',
        );
        await fetch(`${url}/demo/resume`, { method: 'POST' });
        await waitFor(
          async () =>
            (await metrics()).includes(
              'mqkit_messages_succeeded_total{queue="orders",provider="prisma"} 4',
            ) || undefined,
          30_000,
          () => 'succeeded never reached 4',
        );
        await waitFor(
          async () => (await metrics()).includes(`${series('ready')}0`) || undefined,
          20_000,
          () => 'ready never went back to 0',
        );
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
      } finally {
        expect(await child.stop()).toBe(0);
      }
    },
    90_000,
  );

  it('serves /metrics, /healthz and /readyz, counts what it processed, and stops on SIGTERM', async () => {
    const { child, url } = await startMetricsServer(root);
    try {
      const published = await fetch(`${url}/demo/orders?count=7`, { method: 'POST' });
      expect(published.status).toBe(200);
      await waitFor(
        async () =>
          (await (await fetch(`${url}/metrics`)).text()).includes(
            'mqkit_messages_succeeded_total{queue="orders",provider="memory"} 7',
          ) || undefined,
        15_000,
        () => 'succeeded never reached 7',
      );
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(
        'mqkit_queue_messages{queue="orders",provider="memory",state="ready"} 0',
      );
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/nope`)).status).toBe(404);
      expect((await fetch(`${url}/demo/orders?count=0`, { method: 'POST' })).status).toBe(400);
    } finally {
      expect(await child.stop()).toBe(0);
    }
    expect(child.output()).toContain('stopped after fulfilling 7 orders');
  }, 60_000);
});

describe.runIf(unavailable === undefined)('alert rules', () => {
  it('`promtool check rules` passes on docs/prometheus/alerts.yml', () => {
    const r = promtool(['check', 'rules', 'alerts.yml'], undefined, `${root}/docs/prometheus`);
    expect(r.output).toContain('SUCCESS: 7 rules found');
    expect(r.status).toBe(0);
  });

  it('`promtool test rules` passes: every alert fires on its series and stays quiet before', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml'], undefined, `${root}/docs/prometheus`);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const tests = readFileSync(`${root}/docs/prometheus/alerts.test.yml`, 'utf8');
    const rules = readFileSync(`${root}/docs/prometheus/alerts.yml`, 'utf8');
    for (const [, name] of rules.matchAll(/- alert: (\w+)/g))
      expect(tests, `no unit test for ${name}`).toContain(`alertname: ${name}`);
  });
});
