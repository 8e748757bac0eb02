// The password policy for a new password (a reset, or the replacement of a weak legacy
// password after login): a minimum length, a zxcvbn-ts strength estimate that also knows the
// user's own identifiers, and an optional local list of breached passwords as SHA-1 hashes,
// so that no network lookup is ever made. A login is never refused by it: see login.ts.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PasswordPolicyConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import { lazyWorkerPool } from '../hashing/worker-pool.ts';
import type { StrengthTask } from './strength-worker.ts';

export type PolicyProblem = 'too_short' | 'too_weak' | 'breached';

export interface PasswordPolicy {
  /** The problems of a password, none when it passes. `userInputs`: the user's own words. */
  problems(password: string, userInputs?: string[]): Promise<PolicyProblem[]>;
  readonly minLength: number;
}

// The estimate runs on a worker thread: it spends milliseconds of CPU on a long password (its
// l33t variants; strength-dictionary.ts keeps that to a few), which would stall every other
// request, and its dictionaries and their index take most of a second to load, only there and
// only when first needed, so that no command that never checks a new password pays for them.
// One thread: it is asked once per new or migrated password, and its dictionaries are tens of
// megabytes.
const strength = lazyWorkerPool(new URL('./strength-worker.ts', import.meta.url), {
  maxThreads: 1,
  idleTimeout: 5 * 60_000,
});

/** Stops the estimate's thread (graceful shutdown, end of a test file). */
export function closeStrengthWorker(): Promise<void> {
  return strength.close();
}

const SHA1_LINE = /^([0-9a-fA-F]{40})(?::\d+)?\s*$/;

/** Reads a breached-password list: one SHA-1 hex digest a line, optionally ":COUNT". */
export async function loadBreachedList(path: string): Promise<Set<string>> {
  if (!existsSync(path)) {
    throw new ConfigError([
      `password_policy.breached_sha1_file: ${path} does not exist. Fix: give the path of a file of SHA-1 hashes, one a line, or remove the key.`,
    ]);
  }
  const hashes = new Set<string>();
  let bad = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const m = SHA1_LINE.exec(line);
    if (m) hashes.add(m[1]!.toUpperCase());
    else bad++;
  }
  if (hashes.size === 0) {
    throw new ConfigError([
      `password_policy.breached_sha1_file: ${path} holds no SHA-1 hash (${bad} line(s) of another shape). Fix: one 40-character hex digest a line.`,
    ]);
  }
  return hashes;
}

export function createPasswordPolicy(config: PasswordPolicyConfig, breached?: Set<string>): PasswordPolicy {
  return {
    minLength: config.min_length,
    async problems(password, userInputs = []) {
      const found: PolicyProblem[] = [];
      if ([...password].length < config.min_length) found.push('too_short');
      if (config.min_score > 0 && password.length > 0) {
        // The estimate's cost grows with length; past 100 characters any password is strong.
        const sample = password.slice(0, 100);
        const task: StrengthTask = { password: sample, userInputs: userInputs.filter(Boolean) };
        if ((await strength.run<number>(task)) < config.min_score) found.push('too_weak');
      }
      if (breached) {
        const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
        if (breached.has(digest)) found.push('breached');
      }
      return found;
    },
  };
}

export async function loadPasswordPolicy(config: PasswordPolicyConfig): Promise<PasswordPolicy> {
  const breached = config.breached_sha1_file ? await loadBreachedList(config.breached_sha1_file) : undefined;
  return createPasswordPolicy(config, breached);
}
