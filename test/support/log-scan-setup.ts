// Global setup of the test run: gives the workers a fresh log-scan directory, and at the end
// reads every captured bridge log line and fails the run if any secret a test registered, or
// anything shaped like a password hash, appears in one. It names the kind of secret and where
// it leaked, never the secret itself.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const ROOT = resolve(import.meta.dirname, '../../test-results/log-scan');

/** Stored-hash shapes that have no business in a log line, whoever's test produced them. */
export const HASH_SHAPES: Array<[string, RegExp]> = [
  ['bcrypt hash', /\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{50,53}/],
  ['argon2 hash', /\$argon2(?:id|i|d)\$v=\d+\$m=\d+/],
  ['sha-crypt hash', /\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}/],
  ['md5-crypt hash', /\$1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}/],
  ['phpass hash', /\$[PH]\$[./A-Za-z0-9]{31}/],
  ['django pbkdf2 hash', /pbkdf2_sha(?:1|256)\$\d+\$[^$\s"]+\$[A-Za-z0-9+/=]{20,}/],
  // A password reset token (selector.secret), bare or inside its link.
  ['reset token', /(?<![\w.-])[\w-]{22}\.[\w-]{43}(?![\w.-])/],
];

export interface Leak {
  kind: string;
  file: string;
  line: number;
}

interface Secret {
  kind: string;
  value: string;
}

/** Scans one directory; exported so a test can prove that a planted leak is found. */
export function scanLogDirectory(dir: string): { lines: number; secrets: number; leaks: Leak[] } {
  const files = readdirSync(dir);
  const secrets: Secret[] = [];
  for (const f of files.filter((n) => n.endsWith('.secrets.jsonl'))) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n'))
      if (l) secrets.push(JSON.parse(l) as Secret);
  }
  const unique = [...new Map(secrets.map((s) => [s.value, s])).values()];
  const leaks: Leak[] = [];
  let lines = 0;
  for (const f of files.filter((n) => n.endsWith('.log'))) {
    const text = readFileSync(join(dir, f), 'utf8').split('\n');
    text.forEach((l, i) => {
      if (!l) return;
      lines++;
      // JSON escaping would hide a secret holding a quote or a backslash: look at both forms.
      const decoded = decodeJsonStrings(l);
      for (const s of unique) {
        if (l.includes(s.value) || decoded.includes(s.value))
          leaks.push({ kind: s.kind, file: f, line: i + 1 });
      }
      for (const [kind, shape] of HASH_SHAPES) {
        if (shape.test(l) || shape.test(decoded)) leaks.push({ kind, file: f, line: i + 1 });
      }
    });
  }
  return { lines, secrets: unique.length, leaks };
}

function decodeJsonStrings(line: string): string {
  try {
    const values: string[] = [];
    JSON.parse(line, (_k, v) => {
      if (typeof v === 'string') values.push(v);
      return v;
    });
    return values.join('\n');
  } catch {
    return line;
  }
}

let runDir: string | undefined;

export function setup(project: TestProject): void {
  mkdirSync(ROOT, { recursive: true });
  // Runs by other people in the same tree have their own directories; only stale ones go.
  for (const d of readdirSync(ROOT)) {
    const started = Number(d.split('-')[1]);
    if (Number.isFinite(started) && Date.now() - started > 24 * 3600_000) {
      rmSync(join(ROOT, d), { recursive: true, force: true });
    }
  }
  runDir = join(ROOT, `run-${Date.now()}-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  project.provide('logScanDir', runDir);
}

export function teardown(): void {
  if (!runDir) return;
  const { lines, secrets, leaks } = scanLogDirectory(runDir);
  if (leaks.length === 0) {
    process.stdout.write(`log scan: ${lines} bridge log lines, ${secrets} registered secrets, no leak\n`);
    rmSync(runDir, { recursive: true, force: true });
    return;
  }
  const byKind = new Map<string, Leak[]>();
  for (const l of leaks) byKind.set(l.kind, [...(byKind.get(l.kind) ?? []), l]);
  const report = [...byKind].map(
    ([kind, ls]) => `  - a ${kind} in ${ls.length} log line(s), first ${ls[0]!.file}:${ls[0]!.line}`,
  );
  process.exitCode = 1;
  throw new Error(
    `log scan: secrets appear in bridge log lines (the lines are kept in ${runDir}):\n${report.join('\n')}`,
  );
}
