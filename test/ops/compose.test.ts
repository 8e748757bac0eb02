// docker-compose.yml, checked without Docker: it parses, wires four services together with
// healthchecks, publishes no port twice, mounts files that exist, sets every variable the
// bridge's configuration reads, and that configuration validates against our schema with
// the values Compose would pass. The healthcheck commands run against live processes.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { freePort, startTestBridge } from '../support/bridge.ts';
import { BIN } from '../support/cli.ts';
import {
  bindMounts,
  COMPOSE_TEXT,
  dependsOn,
  environmentOf,
  interpolate,
  namedVolumes,
  parseCompose,
  publishedPorts,
  readEnvFile,
  variablesIn,
} from './compose.ts';
import { REPO } from './image.ts';
import { eventually } from './support.ts';

const { doc, compose } = parseCompose();
const services = compose.services;
const CONFIG_TEXT = readFileSync(join(REPO, 'deploy/oidc-bridge.yaml'), 'utf8');
const ENV_EXAMPLE = readEnvFile(readFileSync(join(REPO, 'deploy/compose.env.example'), 'utf8'));
/** What an operator's .env holds after following the example: the key filled in. */
const DOT_ENV: Record<string, string> = { ...ENV_EXAMPLE, OIDC_BRIDGE_KEY: 'k'.repeat(44) };
const bridgeEnv = () => environmentOf(services.bridge!, DOT_ENV);

function healthProbe(service: string, port: number): string[] {
  const test = services[service]!.healthcheck!.test as string[];
  expect(test[0]).toBe('CMD');
  expect(test[1]).toBe('node');
  return test.slice(2).map((a) => a.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`));
}

function runNode(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.on('close', resolve);
  });
}

describe('docker-compose.yml', () => {
  it('parses as YAML without errors or warnings', () => {
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
  });

  it('has the store, the legacy database, the reference target and the bridge', () => {
    expect(Object.keys(services).sort()).toEqual(['bridge', 'legacy-db', 'reference-target', 'store']);
    expect(services.store!.image).toMatch(/^postgres:15/);
    expect(services['legacy-db']!.image).toMatch(/^mariadb:10\.11/);
  });

  it('names only defined services in depends_on, each waiting for a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(dependsOn(service))) {
        expect(Object.keys(services), `${name} depends on ${dependency}`).toContain(dependency);
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(services[dependency]!.healthcheck?.test, `${dependency} has a healthcheck`).toBeDefined();
      }
    }
    expect(Object.keys(dependsOn(services.bridge!)).sort()).toEqual([
      'legacy-db',
      'reference-target',
      'store',
    ]);
  });

  it('gives every service a healthcheck with a command and retries', () => {
    for (const [name, service] of Object.entries(services)) {
      const h = service.healthcheck;
      expect(h?.test, name).toBeDefined();
      expect(h?.retries, name).toBeGreaterThan(0);
      expect(h?.interval, name).toMatch(/^\d+s$/);
    }
  });

  it('publishes no host port twice', () => {
    const ports = Object.values(services).flatMap(publishedPorts);
    expect(ports.length).toBeGreaterThan(0);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('mounts files that exist in the repository, and declares its named volumes', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const { source } of bindMounts(service))
        expect(existsSync(join(REPO, source)), `${name}: ${source}`).toBe(true);
      for (const volume of namedVolumes(service))
        expect(Object.keys(compose.volumes ?? {}), `${name}: ${volume}`).toContain(volume);
    }
  });

  it('builds the bridge and the reference target from the Dockerfile at the top level', () => {
    for (const name of ['bridge', 'reference-target']) {
      const build = services[name]!.build;
      const context = typeof build === 'string' ? build : (build?.context ?? '.');
      expect(existsSync(join(REPO, context, 'Dockerfile')), name).toBe(true);
    }
  });

  it('runs the reference target with the `oidc-bridge reference-target --port 4000` command line', () => {
    const command = services['reference-target']!.command as string[];
    expect(command.slice(0, 3)).toEqual(['reference-target', '--port', '4000']);
    // Published from a container, it must listen beyond the container's loopback.
    expect(command.slice(3)).toEqual(['--host', '0.0.0.0']);
  });

  it('reads every variable it uses from .env, and documents each in deploy/compose.env.example', () => {
    for (const use of variablesIn(COMPOSE_TEXT)) {
      expect(Object.keys(ENV_EXAMPLE), `${use.name} in deploy/compose.env.example`).toContain(use.name);
      if (use.operator === '')
        throw new Error(`\${${use.name}} has neither a default nor a required-message`);
    }
  });

  it('stops the bridge with a clear message when OIDC_BRIDGE_KEY is not set', () => {
    expect(() => environmentOf(services.bridge!, ENV_EXAMPLE)).toThrow(
      /OIDC_BRIDGE_KEY.*openssl rand -base64 32/,
    );
  });

  it("sets every variable the bridge's configuration file refers to", () => {
    const env = bridgeEnv();
    // The bridge interpolates values, not comments: walk what the YAML holds.
    const strings = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
    const used = strings(parse(CONFIG_TEXT)).flatMap((s) => variablesIn(s).map((v) => v.name));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(Object.keys(env), name).toContain(name);
    const mount = bindMounts(services.bridge!).find((m) => m.source === './deploy/oidc-bridge.yaml');
    expect(mount?.target).toBe(env.OIDC_BRIDGE_CONFIG);
  });

  it('points the bridge at the services of the stack by their names', () => {
    const env = bridgeEnv();
    expect(new URL(env.STORE_URL!).host).toBe('store:5432');
    const legacy = new URL(env.LEGACY_URL!);
    const mariadb = environmentOf(services['legacy-db']!, DOT_ENV);
    expect(legacy.host).toBe('legacy-db:3306');
    expect(legacy.pathname).toBe(`/${mariadb.MARIADB_DATABASE}`);
    expect(legacy.username).toBe(mariadb.LEGACY_DB_USER);
    expect(legacy.password).toBe(mariadb.LEGACY_DB_PASSWORD);
    expect(env.TARGET_URL).toBe('http://reference-target:4000/api/users/import');
    expect(env.TARGET_TOKEN).toBe(
      environmentOf(services['reference-target']!, DOT_ENV).REFERENCE_TARGET_TOKEN,
    );
  });

  it('lets the bridge finish requests in flight before Docker kills it', () => {
    const config = parseConfig(parse(CONFIG_TEXT), bridgeEnv());
    const grace = Number(services.bridge!.stop_grace_period?.replace(/s$/, ''));
    expect(grace * 1000).toBeGreaterThan(config.shutdown_timeout_ms);
  });
});

describe('deploy/oidc-bridge.yaml', () => {
  it('validates against the configuration schema with the values Compose passes', () => {
    const config = parseConfig(parse(CONFIG_TEXT), bridgeEnv());
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.database).toBe('postgres://bridge:bridge@store:5432/bridge');
    expect(config.key_encryption_key).toBe(DOT_ENV.OIDC_BRIDGE_KEY);
    expect(config.legacy?.table).toBe('be_users');
    expect(config.legacy?.connection).toMatch(/^mysql:\/\/bridge_ro:/);
    expect(config.target).toMatchObject({
      type: 'http',
      url: 'http://reference-target:4000/api/users/import',
      headers: { Authorization: `Bearer ${DOT_ENV.TARGET_TOKEN}` },
      password_algorithm: 'sha256',
    });
  });

  it('publishes the ports it listens on: the login port, and the admin listener on loopback', () => {
    const config = parseConfig(parse(CONFIG_TEXT), bridgeEnv());
    expect(publishedPorts(services.bridge!)).toEqual([String(config.port), String(config.admin.port)]);
    expect(services.bridge!.ports).toContain(`127.0.0.1:${config.admin.port}:${config.admin.port}`);
  });

  it('interpolates like Compose: defaults, required messages and $$', () => {
    expect(interpolate('a${X:-d}b${Y-e}$$c', { Y: '' })).toBe('adb$c');
    expect(() => interpolate('${Z:?give Z}', {})).toThrow('give Z');
  });
});

describe('the healthcheck commands', () => {
  it("the reference target's passes against `oidc-bridge reference-target` and fails against nothing", async () => {
    const port = await freePort();
    const probe = healthProbe('reference-target', port);
    expect(await runNode(probe)).toBe(1);
    const child = spawn(
      process.execPath,
      [BIN, 'reference-target', '--port', String(port), '--host', '127.0.0.1'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await eventually(async () => (await runNode(probe)) === 0, 30_000);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it("the bridge's passes against a ready bridge", async () => {
    const t = await startTestBridge();
    try {
      expect(await runNode(healthProbe('bridge', Number(new URL(t.url).port)))).toBe(0);
    } finally {
      await t.close();
    }
  });
});
