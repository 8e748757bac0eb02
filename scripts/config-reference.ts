// Renders the configuration reference (docs/configuration.md) from the zod schema in
// src/config/schema.ts, which is the one place keys, types, defaults and descriptions live.
// `npm run docs:config` writes the file and prints it; `--check` only says whether it is
// up to date (exit 1 when not), for CI.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { configSchema } from '../src/config/schema.ts';

export const REFERENCE_FILE = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
export const README_FILE = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- config-reference:start -->';
const END = '<!-- config-reference:end -->';

// The parts of a zod 4 schema this walk reads. zod keeps them on `_zod.def` and a few
// public getters; they are typed here so the walk needs no `any`.
interface Check {
  _zod: { def: { check: string; value?: number; inclusive?: boolean; minimum?: number; maximum?: number } };
}
interface Def {
  type: string;
  innerType?: Node;
  in?: Node;
  defaultValue?: unknown;
  shape?: Record<string, Node>;
  element?: Node;
  keyType?: Node;
  valueType?: Node;
  options?: Node[];
  discriminator?: string;
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: Check[];
}
interface Node {
  _zod: { def: Def };
  description?: string | undefined;
  isInt?: boolean;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'pipe']);

interface Unwrapped {
  base: Node;
  description: string | undefined;
  hasDefault: boolean;
  defaultValue: unknown;
  optional: boolean;
}

/** Peels default/prefault/optional wrappers; the outermost description and default win. */
function unwrap(node: Node): Unwrapped {
  let current = node;
  let description = node.description;
  let hasDefault = false;
  let defaultValue: unknown;
  let optional = false;
  while (WRAPPERS.has(current._zod.def.type)) {
    const def = current._zod.def;
    if ((def.type === 'default' || def.type === 'prefault') && !hasDefault) {
      hasDefault = true;
      defaultValue = def.defaultValue;
    }
    if (def.type === 'optional') optional = true;
    const inner = def.type === 'pipe' ? def.in : def.innerType;
    if (!inner) break;
    current = inner;
    description ??= current.description;
  }
  return { base: current, description, hasDefault, defaultValue, optional };
}

function range(def: Def): string {
  const parts: string[] = [];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'greater_than') parts.push(`${d.inclusive ? '≥' : '>'} ${d.value}`);
    if (d.check === 'less_than') parts.push(`${d.inclusive ? '≤' : '<'} ${d.value}`);
    if (d.check === 'min_length') parts.push(`at least ${d.minimum}`);
    if (d.check === 'max_length') parts.push(`at most ${d.maximum}`);
  }
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function typeOf(node: Node): string {
  const { base } = unwrap(node);
  const def = base._zod.def;
  switch (def.type) {
    case 'string':
      return `string${range(def).replace(/at (least|most) (\d+)/g, 'at $1 $2 characters')}`;
    case 'number':
      return `${base.isInt ? 'integer' : 'number'}${range(def)}`;
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'literal':
      return (def.values ?? []).map((v) => `\`${String(v)}\``).join(' \\| ');
    case 'array':
      return `list of ${typeOf(def.element!)}${range(def).replace(/at (least|most) (\d+)/g, 'at $1 $2')}`;
    case 'record':
      return `map of ${typeOf(def.keyType!)} → ${typeOf(def.valueType!)}`;
    case 'union':
      return (def.options ?? []).map(typeOf).join(' or ');
    case 'object':
      return 'object';
    case 'null':
      return 'null';
    default:
      return 'any';
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return `\`${value}\``;
  const text = stringify(value, { collectionStyle: 'flow' }).trim();
  return `\`${text}\``;
}

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
}

interface Section {
  title: string;
  description: string | undefined;
  default: string | undefined;
  rows: Row[];
}

function defaultCell(u: Unwrapped): string {
  if (u.hasDefault) {
    const v = u.defaultValue;
    // An object section's own default ({}) only means "use the defaults of its keys".
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.keys(v).length === 0 &&
      u.base._zod.def.type === 'object'
    ) {
      return '';
    }
    return formatValue(v);
  }
  return u.optional ? '—' : '**required**';
}

/** Adds rows for `node` at `path`: one per key, objects flattened into dotted paths. */
function walk(node: Node, path: string, rows: Row[], condition = ''): void {
  const u = unwrap(node);
  const def = u.base._zod.def;
  const description = [condition, u.description ?? ''].filter(Boolean).join(' ');
  if (def.type === 'object' && def.shape) {
    if (path) rows.push({ path, type: 'object', default: defaultCell(u), description });
    for (const [key, child] of Object.entries(def.shape))
      walk(child, path ? `${path}.${key}` : key, rows, condition);
    return;
  }
  if (def.type === 'union' && def.discriminator && def.options) {
    walkVariants(def.options, def.discriminator, path, rows, u, description);
    return;
  }
  rows.push({ path, type: typeOf(node), default: defaultCell(u), description });
}

/** A discriminated union: the discriminator once, then each variant's keys under a condition. */
function walkVariants(
  options: Node[],
  discriminator: string,
  path: string,
  rows: Row[],
  u: Unwrapped,
  description: string,
) {
  const variants = options.map((o) => {
    const shape = o._zod.def.shape ?? {};
    const tag = shape[discriminator]!;
    const value = String(unwrap(tag).base._zod.def.values?.[0]);
    return { value, shape, tagDescription: unwrap(tag).description ?? '' };
  });
  if (path && description) rows.push({ path, type: 'object', default: defaultCell(u), description });
  const defaultTag =
    u.hasDefault && u.defaultValue && typeof u.defaultValue === 'object'
      ? (u.defaultValue as Record<string, unknown>)[discriminator]
      : undefined;
  rows.push({
    path: `${path}.${discriminator}`,
    type: variants.map((v) => `\`${v.value}\``).join(' \\| '),
    default: defaultTag === undefined ? '**required**' : formatValue(defaultTag),
    description: variants.map((v) => `\`${v.value}\`: ${v.tagDescription}`).join(' '),
  });
  for (const v of variants) {
    for (const [key, child] of Object.entries(v.shape)) {
      if (key === discriminator) continue;
      walk(child, `${path}.${key}`, rows, `(${discriminator} \`${v.value}\`)`);
    }
  }
}

function cell(text: string): string {
  return text
    .replace(/\|/g, (m, offset: number, all: string) => (all[offset - 1] === '\\' ? m : '\\|'))
    .replace(/\s*\n\s*/g, ' ');
}

function table(rows: Row[]): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

function sections(schema: Node): Section[] {
  const shape = schema._zod.def.shape ?? {};
  const top: Row[] = [];
  const out: Section[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const u = unwrap(child);
    const def = u.base._zod.def;
    const isSection = def.type === 'object' || (def.type === 'union' && def.discriminator !== undefined);
    if (!isSection) {
      walk(child, key, top);
      continue;
    }
    const rows: Row[] = [];
    if (def.type === 'object') {
      for (const [k, c] of Object.entries(def.shape ?? {})) walk(c, `${key}.${k}`, rows);
    } else {
      walkVariants(def.options ?? [], def.discriminator!, key, rows, { ...u, description: undefined }, '');
    }
    const d = defaultCell(u);
    out.push({
      title: key,
      description: u.description,
      default: d === '' || d === '—' ? undefined : d,
      rows,
    });
  }
  return [{ title: 'Top level', description: undefined, default: undefined, rows: top }, ...out];
}

/** The whole of docs/configuration.md, from the schema. Deterministic: same schema, same text. */
export function renderConfigReference(schema: unknown = configSchema): string {
  const parts = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand:',
    '     change the description in the schema and run the script again. A test fails when',
    '     this file and the schema disagree. -->',
    '',
    'The bridge reads one YAML file: `--config FILE`, else `$OIDC_BRIDGE_CONFIG`, else',
    '`./oidc-bridge.yaml`; with none at all every key takes its default. `${VAR}` anywhere in a',
    'value is replaced by the environment variable `VAR` (`${VAR:-fallback}` when it may be',
    'unset). The file is validated at start: an unknown key, a wrong type or a bad value stops',
    'the bridge with exit code 2 and a message that names the key, the problem and the fix.',
    '',
    'Keys marked **required** must be set when their section is present; `—` means the key may',
    'be left out and has no default (what that means is in its description).',
  ];
  for (const s of sections(schema as Node)) {
    parts.push('', `## ${s.title === 'Top level' ? s.title : `\`${s.title}\``}`, '');
    if (s.description) parts.push(s.description, '');
    if (s.default) parts.push(`Default: ${s.default}.`, '');
    parts.push(table(s.rows));
  }
  return `${parts.join('\n')}\n`;
}

/** README.md with the reference (one heading level down) between its markers. */
export function readmeWithReference(readme: string, reference: string = renderConfigReference()): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  const body = reference
    .split('\n')
    .filter((line) => !line.startsWith('# '))
    .map((line) => (line.startsWith('## ') ? `#${line}` : line))
    .join('\n')
    .trim();
  return `${readme.slice(0, from + START.length)}\n${body}\n${readme.slice(to)}`;
}

async function main(argv: string[]): Promise<number> {
  const text = renderConfigReference();
  const readme = readFileSync(README_FILE, 'utf8');
  const nextReadme = readmeWithReference(readme, text);
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(REFERENCE_FILE, 'utf8');
    } catch {
      // a missing file is simply out of date
    }
    if (current === text && readme === nextReadme) return 0;
    process.stderr.write(
      'docs/configuration.md or README.md is out of date with src/config/schema.ts. Fix: npm run docs:config\n',
    );
    return 1;
  }
  writeFileSync(REFERENCE_FILE, text);
  writeFileSync(README_FILE, nextReadme);
  process.stdout.write(text);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
