// docker-compose.yml as Compose reads it, without Docker: the YAML, and `${VAR}`
// interpolation with Compose's rules (`:-`, `-`, `:?`, `?`, `:+`, `$$`) against a given
// environment, so a test can see the values a service would really get.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { REPO } from './image.ts';

export interface Healthcheck {
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  ports?: Array<string | number | { published?: string | number; target?: number }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
  stop_grace_period?: string;
}

export interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

export const COMPOSE_TEXT = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');

export function parseCompose(text = COMPOSE_TEXT) {
  const doc = parseDocument(text);
  return { doc, compose: doc.toJS() as ComposeFile };
}

const VAR =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export interface VariableUse {
  name: string;
  /** '', ':-', '-', ':?', '?', ':+' or '+'. */
  operator: string;
  argument: string;
}

/** Every variable a text refers to, with the operator it uses. */
export function variablesIn(text: string): VariableUse[] {
  const uses: VariableUse[] = [];
  for (const m of text.matchAll(VAR)) {
    if (m[0] === '$$') continue;
    uses.push({ name: (m[1] ?? m[4])!, operator: m[2] ?? '', argument: m[3] ?? '' });
  }
  return uses;
}

/** Replaces variables as Compose does; throws on a `?` variable that is missing. */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(VAR, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const v = env[name];
    const unsetOrEmpty = v === undefined || v === '';
    switch (op) {
      case ':-':
        return unsetOrEmpty ? interpolate(arg ?? '', env) : v;
      case '-':
        return v === undefined ? interpolate(arg ?? '', env) : v;
      case ':?':
      case '?':
        if (op === ':?' ? unsetOrEmpty : v === undefined)
          throw new Error(`required variable ${name} is missing: ${arg}`);
        return v!;
      case ':+':
        return unsetOrEmpty ? '' : interpolate(arg ?? '', env);
      case '+':
        return v === undefined ? '' : interpolate(arg ?? '', env);
      default:
        return v ?? '';
    }
  });
}

/** A service's environment with every value interpolated. */
export function environmentOf(
  service: Service,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const raw = service.environment ?? {};
  const pairs: Array<[string, string]> = Array.isArray(raw)
    ? raw.map((e) => {
        const i = e.indexOf('=');
        return [e.slice(0, i), e.slice(i + 1)];
      })
    : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v, env)]));
}

/** KEY=value lines of an env file (deploy/compose.env.example), comments skipped. */
export function readEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

export function dependsOn(service: Service): Record<string, string | undefined> {
  const d = service.depends_on ?? [];
  return Array.isArray(d)
    ? Object.fromEntries(d.map((n) => [n, undefined]))
    : Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v?.condition]));
}

export function publishedPorts(service: Service): string[] {
  return (service.ports ?? []).flatMap((p) => {
    if (typeof p === 'object') return p.published === undefined ? [] : [String(p.published)];
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    // "3000" publishes on a random host port; "3000:3000" and "127.0.0.1:3000:3000" fix one.
    return parts.length >= 2 ? [parts.at(-2)!] : [];
  });
}

export function bindMounts(service: Service): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).flatMap((v) => {
    if (typeof v === 'object')
      return v.type === 'bind' && v.source ? [{ source: v.source, target: v.target ?? '' }] : [];
    const [source, target] = v.split(':');
    return source && /^[./~]/.test(source) ? [{ source, target: target ?? '' }] : [];
  });
}

export function namedVolumes(service: Service): string[] {
  return (service.volumes ?? []).flatMap((v) => {
    const source = typeof v === 'object' ? (v.type === 'volume' ? v.source : undefined) : v.split(':')[0];
    return source && !/^[./~]/.test(source) && (typeof v === 'object' || v.includes(':')) ? [source] : [];
  });
}
