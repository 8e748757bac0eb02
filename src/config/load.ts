// Reads the YAML configuration, replaces ${VAR} with environment variables and validates it
// against the schema. Every problem is reported at once, each naming the key, what is
// wrong with its value and how to fix it; the caller exits 2 without a stack trace.
import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { checkLegacySchemes } from './check-schemes.ts';
import { type Config, configSchema } from './schema.ts';

export const DEFAULT_CONFIG_FILE = './oidc-bridge.yaml';

/** The file a command reads: --config, then OIDC_BRIDGE_CONFIG, then ./oidc-bridge.yaml. */
export function resolveConfigPath(flag: string | undefined, env = process.env): string | undefined {
  if (flag) return flag;
  if (env.OIDC_BRIDGE_CONFIG) return env.OIDC_BRIDGE_CONFIG;
  return existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
}

function interpolate(value: unknown, path: string[], env: NodeJS.ProcessEnv, issues: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_, name: string, fallback?: string) => {
        const v = env[name];
        if (v !== undefined) return v;
        if (fallback !== undefined) return fallback;
        issues.push(
          `${path.join('.') || '(root)'}: refers to \${${name}}, which is not set. Fix: export ${name}, or write \${${name}:-default}.`,
        );
        return '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, String(i)], env, issues));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], env, issues)]),
    );
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = issue.path.join('.') || '(root)';
  let actual: unknown = input;
  for (const p of issue.path) actual = (actual as Record<PropertyKey, unknown> | undefined)?.[p as string];
  const shown =
    actual === undefined
      ? 'missing'
      : typeof actual === 'string'
        ? JSON.stringify(actual)
        : JSON.stringify(actual);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(issue.path, input);
      return issue.keys
        .map((k) => {
          const where = issue.path.length ? `${issue.path.join('.')}.${k}` : k;
          const near = nearestKey(k, known);
          return near
            ? `${where}: unknown key. Fix: did you mean ${issue.path.length ? `${issue.path.join('.')}.` : ''}${near}? Rename it, or remove it.`
            : `${where}: unknown key. Fix: remove it; the keys here are ${known.join(', ') || 'listed in the configuration reference'}.`;
        })
        .join('\n  - ');
    }
    case 'invalid_type':
      return actual === undefined
        ? `${key}: is required. Fix: set ${key} (expected ${issue.expected}).`
        : `${key}: expected ${issue.expected}, got ${shown}. Fix: give ${key} a ${issue.expected} value.`;
    case 'invalid_value':
      return `${key}: ${shown} is not allowed. Fix: use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'invalid_union':
      return `${key}: ${shown} does not fit. Fix: ${key === 'target' ? 'set target.type to commerce-import, scim or webhook (each with url), or none' : 'check the configuration reference'}.`;
    default:
      return `${key}: ${shown} ${issue.message}. Fix: correct ${key}.`;
  }
}

interface SchemaNode {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaNode;
      shape?: Record<string, SchemaNode>;
      options?: SchemaNode[];
      discriminator?: string;
      values?: unknown[];
    };
  };
}

/** Peels default, prefault and optional wrappers off a schema node. */
function bare(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  while (n && ['default', 'prefault', 'optional', 'nullable'].includes(n._zod.def.type))
    n = n._zod.def.innerType;
  return n;
}

/** The keys the schema allows in the object at `path` (a union picks the branch the input names). */
function knownKeysAt(path: readonly PropertyKey[], input: unknown): string[] {
  let node = bare(configSchema as unknown as SchemaNode);
  let value: unknown = input;
  const objectKeys = (n: SchemaNode | undefined, v: unknown): string[] => {
    const def = n?._zod.def;
    if (!def) return [];
    if (def.shape) return Object.keys(def.shape);
    if (def.options) {
      const disc = def.discriminator;
      const chosen = def.options.find((o) => {
        const lit = disc ? bare(o._zod.def.shape?.[disc]) : undefined;
        return lit?._zod.def.values?.includes((v as Record<string, unknown> | undefined)?.[disc!]);
      });
      return chosen ? objectKeys(chosen, v) : [...new Set(def.options.flatMap((o) => objectKeys(o, v)))];
    }
    return [];
  };
  for (const p of path) {
    const def = node?._zod.def;
    if (!def) return [];
    let next: SchemaNode | undefined;
    if (def.shape) next = def.shape[String(p)];
    else if (def.options) {
      const disc = def.discriminator;
      const chosen = def.options.find((o) => {
        const lit = disc ? bare(o._zod.def.shape?.[disc]) : undefined;
        return lit?._zod.def.values?.includes((value as Record<string, unknown> | undefined)?.[disc!]);
      });
      next = chosen?._zod.def.shape?.[String(p)];
    }
    node = bare(next);
    value = (value as Record<string, unknown> | undefined)?.[String(p)];
  }
  return objectKeys(node, value);
}

/** Optimal string alignment distance: a swap of two neighbours counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed key closest to a misspelt one (plural, British spelling, typo), if any is close. */
export function nearestKey(unknown: string, known: readonly string[]): string | undefined {
  const u = unknown.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const kl = k.toLowerCase();
    let score = editDistance(u, kl);
    // identifier ↔ identifiers, mappings ↔ mapping, primary_colour ↔ primary_color.
    if (u.startsWith(kl) || kl.startsWith(u)) score = Math.min(score, Math.abs(u.length - kl.length));
    if (score < bestScore) {
      best = k;
      bestScore = score;
    }
  }
  const allowed = Math.max(2, Math.floor(unknown.length / 3));
  return best !== undefined && bestScore <= allowed ? best : undefined;
}

/** Validates an already-parsed object. Throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const issues: string[] = [];
  const input = interpolate(raw ?? {}, [], env, issues);
  if (issues.length) throw new ConfigError(issues);
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, input)));
  const cfg = result.data;
  const schemeIssues = checkLegacySchemes(cfg.legacy);
  if (schemeIssues.length) throw new ConfigError(schemeIssues);
  const issuer = (cfg.issuer ?? `http://localhost:${cfg.port}`).replace(/\/$/, '');
  const key = cfg.key_encryption_key ?? env.OIDC_BRIDGE_KEY;
  if (key !== undefined && key.length < 32) {
    throw new ConfigError([
      'OIDC_BRIDGE_KEY: must be at least 32 characters. Fix: generate one with: openssl rand -base64 32',
    ]);
  }
  return { ...cfg, issuer, key_encryption_key: key };
}

/** Reads and validates a configuration file; no file at all gives the defaults. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  if (!file) return parseConfig({}, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([
      `${file}: cannot be read (${code ?? 'error'}). Fix: pass an existing file with --config, or set OIDC_BRIDGE_CONFIG.`,
    ]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map(
        (e) => `${file}: YAML syntax error: ${e.message.split('\n')[0]}. Fix: correct the YAML there.`,
      ),
    );
  }
  const raw = doc.toJS();
  if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError([`${file}: must be a YAML mapping of keys. Fix: see the configuration reference.`]);
  }
  return parseConfig(raw, env);
}
