// Reads the YAML configuration, replaces ${VAR} with environment variables and validates it
// against the schema. Every problem is reported at once, each naming the key, what is
// wrong with its value and how to fix it; the caller exits 2 without a stack trace.
import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
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
    case 'unrecognized_keys':
      return `${key}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Fix: remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling against the configuration reference.`;
    case 'invalid_type':
      return actual === undefined
        ? `${key}: is required. Fix: set ${key} (expected ${issue.expected}).`
        : `${key}: expected ${issue.expected}, got ${shown}. Fix: give ${key} a ${issue.expected} value.`;
    case 'invalid_value':
      return `${key}: ${shown} is not allowed. Fix: use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'invalid_union':
      return `${key}: ${shown} does not fit. Fix: ${key === 'target' ? 'set target.type to http (with url) or none' : 'check the configuration reference'}.`;
    default:
      return `${key}: ${shown} ${issue.message}. Fix: correct ${key}.`;
  }
}

/** Validates an already-parsed object. Throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const issues: string[] = [];
  const input = interpolate(raw ?? {}, [], env, issues);
  if (issues.length) throw new ConfigError(issues);
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, input)));
  const cfg = result.data;
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
