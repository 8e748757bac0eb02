// Secrets a test handles (passwords, hashes, client secrets, keys), registered so that the end
// of the run can prove that none of them reached a log line. Each worker appends its secrets
// and every captured bridge log line to files of this run's log-scan directory; the global
// teardown in log-scan-setup.ts reads them all and fails the run on any leak.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

export type SecretKind = 'password' | 'hash' | 'client_secret' | 'key' | 'token' | 'reset_link';

declare module 'vitest' {
  export interface ProvidedContext {
    logScanDir: string;
  }
}

/** Shorter values would match unrelated text by chance; tests use realistic secrets. */
export const MIN_SECRET_LENGTH = 8;

let dir: string | null | undefined;

/** This run's directory, or null outside a vitest run with the global setup (the bench). */
export function logScanDir(): string | null {
  if (dir === undefined) {
    try {
      dir = inject('logScanDir') ?? null;
    } catch {
      dir = null;
    }
  }
  return dir;
}

/** Returns the value, so a test can write `const password = registerSecret('password', '…')`. */
export function registerSecret<T extends string>(kind: SecretKind, value: T): T {
  if (value.length < MIN_SECRET_LENGTH) {
    throw new Error(`registerSecret: a ${kind} of ${value.length} characters is too short to scan for`);
  }
  const d = logScanDir();
  if (d) appendFileSync(join(d, `${process.pid}.secrets.jsonl`), `${JSON.stringify({ kind, value })}\n`);
  return value;
}

/** Called for every log line a test bridge writes. */
export function captureLogLine(line: string): void {
  const d = logScanDir();
  if (d) appendFileSync(join(d, `${process.pid}.log`), line.endsWith('\n') ? line : `${line}\n`);
}
