// Helpers for the bulk-import tests and bench: a be_users table (the import guide's, password column
// widened for sha256 and argon2) filled quickly with mixed hash schemes through multi-row
// INSERTs, and the reference target counting every user it creates per customer_code,
// which is what "no user delivered twice" means.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import mysql from 'mysql2/promise';
import type { Config } from '../../src/config/schema.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { startReference } from '../../src/target/commerce-import/double.ts';
import type { ReferenceDouble } from '../../src/target/reference.ts';
import { createTargetFormat } from '../../src/target/registry.ts';
import { loadBeUsers } from '../legacy/support.ts';

/** Generated ids start here, above the example row (28774). */
export const FIRST_ID = 30_000;

export type Kind = 'md5' | 'sha1_salted' | 'sha256' | 'bcrypt' | 'argon2' | 'nameless';

/** Per 20 rows: 8 md5, 4 salted sha1, 2 sha256, 4 bcrypt, 1 argon2, 1 NULL first_name. */
export function kindOf(id: number): Kind {
  const k = id % 20;
  if (k < 8) return 'md5';
  if (k < 12) return 'sha1_salted';
  if (k < 14) return 'sha256';
  if (k < 18) return 'bcrypt';
  if (k < 19) return 'argon2';
  return 'nameless';
}

export const passwordOf = (id: number) => `pw-${id}`;
export const emailOf = (id: number) => `user${id}@example.com`;
export const isImportable = (id: number) => ['md5', 'sha1_salted', 'sha256'].includes(kindOf(id));

const hex = (alg: string, text: string) => createHash(alg).update(text, 'utf8').digest('hex');

export interface Generated {
  ids: number[];
  importable: number;
  needsLogin: number;
  /** Includes the example row (NULL names, bcrypt). */
  rejected: number;
  seconds: number;
}

/**
 * Loads the import guide's example dump and `n` generated users into `url`. bcrypt and argon2 rows reuse a
 * handful of hashes computed once: computing 20 % of a million of them would take hours.
 */
export async function generateBeUsers(url: string, n: number): Promise<Generated> {
  const started = Date.now();
  await loadBeUsers(url, 'ALTER TABLE be_users MODIFY `password` varchar(255) NOT NULL');
  const bcrypts = await Promise.all([0, 1, 2, 3, 4].map((i) => bcrypt.hash(`shared-${i}`, 4)));
  const argons = await Promise.all(
    [0, 1].map((i) => argon2.hash(`shared-${i}`, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1 })),
  );
  const conn = await mysql.createConnection({ uri: url });
  const ids: number[] = [];
  const counts = { importable: 0, needsLogin: 0, rejected: 1 };
  try {
    const chunk = 5000;
    for (let start = 0; start < n; start += chunk) {
      const rows: unknown[][] = [];
      for (let i = start; i < Math.min(n, start + chunk); i++) {
        const id = FIRST_ID + i;
        const pw = passwordOf(id);
        const kind = kindOf(id);
        let hash: string;
        if (kind === 'md5' || kind === 'nameless') hash = hex('md5', pw);
        else if (kind === 'sha1_salted') {
          const salt = `s${(id * 7919).toString(36)}`;
          hash = `sha1$${salt}$${hex('sha1', salt + pw)}`;
        } else if (kind === 'sha256') hash = hex('sha256', pw).toUpperCase();
        else if (kind === 'bcrypt') hash = bcrypts[id % bcrypts.length]!.replace('$2b$', '$2y$');
        else hash = argons[id % argons.length]!;
        if (kind === 'nameless') counts.rejected += 1;
        else if (isImportable(id)) counts.importable += 1;
        else counts.needsLogin += 1;
        ids.push(id);
        rows.push([
          id,
          kind === 'nameless' ? null : `First${id}`,
          `Last${id}`,
          `user${id}`,
          emailOf(id),
          hash,
          id % 2 ? 'M' : 'F',
          id % 3 ? '1990-05-17 00:00:00' : null,
          id % 2,
          0,
          0,
          null,
          0,
          '2019-03-04 05:06:07',
          // Every fourth user logged in lately: the cut-over readiness figure counts them.
          id % 4 === 0 ? new Date() : '2015-01-01 00:00:00',
        ]);
      }
      await conn.query(
        'INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, birthday, accept_notifications, accept_sharing, accept_personal_data, remember_token, is_logged, created_at, updated_at) VALUES ?',
        [rows],
      );
    }
  } finally {
    await conn.end();
  }
  return {
    ids,
    importable: counts.importable,
    needsLogin: counts.needsLogin,
    rejected: counts.rejected,
    seconds: (Date.now() - started) / 1000,
  };
}

export interface CountingTarget {
  /** The commerce platform's double; `double.creates` counts every user it stores per customer_code. */
  double: ReferenceDouble;
  url: string;
  importUrl: string;
  /** customer_code → users the target created under it (alone or inside a batch). */
  creates: Map<string, number>;
  /** The status of every import request, in order. */
  readonly statuses: number[];
  close(): Promise<void>;
}

/**
 * The reference import API, counting every user it creates. Counted where the user is
 * stored, not from the answers: an answer to a client that was killed is never written,
 * but the user it announced exists all the same.
 */
export async function startCountingTarget(): Promise<CountingTarget> {
  const double = await startReference();
  return {
    double,
    url: double.url,
    importUrl: String(double.targetConfig.url),
    creates: double.creates,
    get statuses() {
      return double.requests.map((r) => r.status);
    },
    close: () => double.close(),
  };
}

/** A config file for the CLI: PostgreSQL store, MariaDB legacy table, the HTTP target. */
export function writeImportConfig(
  file: string,
  opts: { store: string; legacy: string; importUrl: string; extra?: Record<string, unknown> },
): string {
  const config = {
    database: opts.store,
    legacy: {
      connection: opts.legacy,
      table: 'be_users',
      columns: { last_login: 'updated_at' },
      query_timeout_ms: 30_000,
    },
    target: { type: 'http', url: opts.importUrl, password_algorithm: 'sha256', timeout_ms: 30_000 },
    ...opts.extra,
  };
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** What the import takes of the composition root: the target format and the secret box. */
export function targetDeps(config: Config) {
  return { target: createTargetFormat(config.target), box: createSecretBox(config.key_encryption_key) };
}
