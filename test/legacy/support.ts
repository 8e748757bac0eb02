// Helpers for the legacy source tests: load the import guide's example be_users dump into a real MariaDB
// database, build a validated legacy config, capture log lines, and a TCP server that accepts
// connections and never answers (a database that hangs rather than refuses).
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import knexPkg, { type Knex } from 'knex';
import mysql from 'mysql2/promise';
import { legacySchema } from '../../src/config/schema.ts';
import { legacyKnexConfig } from '../../src/legacy/sql/connection.ts';
import { createLogger, type Logger, silentLogger } from '../../src/logger.ts';

export const BE_USERS_SQL = readFileSync(
  new URL('../../deploy/mariadb/initdb/001-be-users.sql', import.meta.url),
  'utf8',
);

/** The example row's hash, to assert it never appears in messages, logs or mapping output. */
export { EXAMPLE_HASH } from '../support/example-row.ts';

/** Runs the fixture as a script, the way `mysql shop < be_users.sql` would. */
export async function loadBeUsers(url: string, extraSql = ''): Promise<void> {
  const conn = await mysql.createConnection({ uri: url, multipleStatements: true });
  try {
    await conn.query(BE_USERS_SQL);
    if (extraSql) await conn.query(extraSql);
  } finally {
    await conn.end();
  }
}

export function legacyConfig(input: Record<string, unknown>) {
  return legacySchema.parse(input);
}

export interface CapturedLog {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
}

export function captureLogger(level = 'debug'): CapturedLog {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level, destination });
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A port that accepts TCP connections and never sends a byte. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Identifiers built to break naive SQL: none of them is anyone's login name. */
export const HOSTILE_IDENTIFIERS: Array<[string, string]> = [
  ['a quote and a comment', "' OR 1=1 --"],
  ['a double-quoted tautology', '" OR ""="'],
  ['a LIKE wildcard %', '%'],
  ['a LIKE wildcard _', '_'],
  ["wildcards around the example user's name", '%testuser%'],
  ['a backslash', '\\'],
  ['a backslash before a quote', "\\' OR 1=1 #"],
  ['a stacked statement', "x'; DROP TABLE be_users; --"],
  ['a NUL byte', 'a\u0000b'],
  ["the example user's name with a NUL byte", 'testuser-bal\u0000'],
  ['a 10 KB string', 'x'.repeat(10 * 1024)],
  ['an emoji', 'testuser-bal😀'],
  ['a lone surrogate', 'testuser-bal\ud800'],
  ['a semicolon', ';'],
];

/** A knex pool toward the legacy database, as the source builds it, counting the statements sent. */
export function countingKnex(config: ReturnType<typeof legacyConfig>): { db: Knex; count: () => number } {
  const db = knexPkg.knex(legacyKnexConfig(config, silentLogger).config);
  let n = 0;
  db.on('query', () => {
    n++;
  });
  return { db, count: () => n };
}
