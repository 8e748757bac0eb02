// The bridge as Prometheus users run it: the rules in deploy/prometheus pass promtool's
// checks and unit tests, a real Prometheus (Debian's) scrapes a running bridge's admin
// listener and evaluates the recording rules, and every series the Grafana dashboard asks
// for is one the bridge exports or a rule records.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, startTestBridge, type TestBridge } from '../support/bridge.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { waitFor } from '../support/wait.ts';
import { REPO } from './image.ts';

const RULES = join(REPO, 'deploy/prometheus/alerts.yml');
const DASHBOARD = join(REPO, 'deploy/grafana/oidc-bridge.json');

interface RuleGroup {
  name: string;
  rules: Array<{ record?: string; alert?: string; expr: string }>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: RuleGroup[] }).groups;
const recorded = groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));

let t: TestBridge;
let adminUrl: string;

beforeAll(async () => {
  t = await startTestBridge();
  adminUrl = (await t.bridge.listenAdmin(0, '127.0.0.1')).url;
  // One failed login, so that the login counters have a series.
  await t.addClient({
    id: 'prom-app',
    redirectUris: [REDIRECT_URI],
    secret: 'prom-app-secret',
    firstParty: true,
  });
  await submitLogin(
    await beginLogin(await relyingParty(t.url, 'prom-app', 'prom-app-secret')),
    'nobody',
    'not-a-password',
  );
});

afterAll(async () => {
  await t?.close();
});

describe('the Prometheus rules', () => {
  it('pass promtool check rules', () => {
    const out = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests, one or more for every alert', () => {
    const dir = join(REPO, 'deploy/prometheus');
    const out = execFileSync('promtool', ['test', 'rules', 'alerts.test.yml', 'key-age.test.yml'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(out).not.toMatch(/FAILED/);
    const tested = `${readFileSync(join(dir, 'alerts.test.yml'), 'utf8')}${readFileSync(join(dir, 'key-age.test.yml'), 'utf8')}`;
    for (const alert of groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])))) {
      expect(tested, alert).toContain(`alertname: ${alert}`);
    }
  }, 120_000);
});

describe('the Grafana dashboard', () => {
  it('asks only for series the bridge exports or the rules record', async () => {
    const exported = new Set(
      [...(await (await fetch(`${adminUrl}/metrics`)).text()).matchAll(/^# TYPE (\S+) (\w+)/gm)].flatMap(
        ([, name, type]) =>
          type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
      ),
    );
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })),
    );
    expect(exprs.length).toBeGreaterThan(10);
    for (const { title, expr } of exprs) {
      const names = expr.match(/\b(oidc_bridge[:_][A-Za-z0-9_:]+)/g) ?? [];
      expect(names.length, title).toBeGreaterThan(0);
      for (const name of names) {
        expect(exported.has(name) || recorded.includes(name), `${title}: ${name}`).toBe(true);
      }
    }
  });
});

describe('a real Prometheus scraping the bridge', () => {
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oidc-bridge-prometheus-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${RULES}`,
        'scrape_configs:',
        '  - job_name: oidc-bridge',
        '    static_configs:',
        `      - targets: ['${new URL(adminUrl).host}']`,
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await waitFor(
      () =>
        fetch(`${promUrl}/-/ready`).then(
          (r) => r.status,
          () => 0,
        ),
      (s) => s === 200,
      30_000,
    );
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const query = async (q: string) => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    return (
      (await res.json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      }
    ).data.result;
  };

  it('scrapes the admin listener and stores the bridge series', async () => {
    const up = await waitFor(
      () => query('up{job="oidc-bridge"}'),
      (r) => r.length === 1 && r[0]!.value[1] === '1',
      30_000,
    );
    expect(up[0]!.metric.instance).toBe(new URL(adminUrl).host);
    for (const name of [
      'oidc_bridge_logins_total',
      'oidc_bridge_ready',
      'oidc_bridge_signing_key_created_timestamp_seconds',
      'oidc_bridge_outbox_jobs',
      'oidc_bridge_build_info',
    ]) {
      const res = await fetch(`${promUrl}/api/v1/series?match[]=${encodeURIComponent(name)}`);
      const series = ((await res.json()) as { data: unknown[] }).data;
      expect(series.length, name).toBeGreaterThan(0);
    }
    const ready = await query('oidc_bridge_ready');
    expect(ready[0]!.value[1]).toBe('1');
  });

  it('loads every rule healthy and evaluates the recording rules', async () => {
    const rules = await waitFor(
      async () => {
        const res = await fetch(`${promUrl}/api/v1/rules`);
        const body = (await res.json()) as {
          data: { groups: Array<{ rules: Array<{ name: string; health: string; type: string }> }> };
        };
        return body.data.groups.flatMap((g) => g.rules);
      },
      (r) => r.length > 0 && r.every((x) => x.health === 'ok'),
      30_000,
    );
    expect(
      rules
        .filter((r) => r.type === 'recording')
        .map((r) => r.name)
        .sort(),
    ).toEqual([...recorded].sort());
    const jobs = await waitFor(
      () => query('oidc_bridge:outbox_jobs'),
      (r) => r.length > 0,
      30_000,
    );
    expect(jobs.map((r) => r.metric.status).sort()).toContain('pending');
    const logins = await waitFor(
      () => query('oidc_bridge:logins:rate5m'),
      (r) => r.length > 0,
      30_000,
    );
    expect(logins[0]!.metric).toMatchObject({ outcome: 'failure' });
  });
});
