// Starts a server under load (server-child.ts) in its own process with its own fresh
// PostgreSQL store, and the legacy be_users table on MariaDB it migrates from. Measurements
// (event-loop delay, CPU time) are taken inside the child and fetched over IPC.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { hashSync } from '@node-rs/bcrypt';
import { loadBeUsers } from '../../test/legacy/support.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../../test/support/databases.ts';
import type { BenchClient } from './http-client.ts';

/** `bridge-redis`: the bridge with store.redis_url (its bridgeConfig names the Redis). */
export type ServerKind = 'bridge' | 'bridge-redis' | 'bare-knex' | 'bare-memory';

/** SQL statements per request phase of the bridge, and legacy queries, since the last reset. */
export interface StatementCounts {
  /** Phase (authorize, login page, login post, resume, token…) → statements to the store. */
  store: Record<string, number>;
  /** Statements outside any request: the delivery worker, sweeps, timers. */
  background: number;
  /** Queries to the legacy database. */
  legacy: number;
  /** With BENCH_STATEMENTS_SQL=1: each statement's SQL, by phase, to see what to cut. */
  sql?: Record<string, string[]>;
}

export interface ServerSpec {
  kind: ServerKind;
  issuer: string;
  port: number;
  storeUrl?: string;
  keyEncryptionKey: string;
  client: BenchClient;
  /** Merged into the bridge's config (legacy section, security limits). */
  bridgeConfig?: Record<string, unknown>;
  /**
   * Count the bridge's SQL statements by request (statements.ts). Off elsewhere: the count
   * tags every request with an AsyncLocalStorage, whose promise hooks the figures of the
   * other benches would then pay and the bare servers not.
   */
  countStatements?: boolean;
}

export interface Measurement {
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number };
  /** CPU time of the whole server process (main thread and thread pool) over wallMs. */
  cpuMs: number;
  wallMs: number;
}

export type ToChild =
  | { type: 'measure-start' }
  | { type: 'measure-stop' }
  | { type: 'statements-reset' }
  | { type: 'statements-read' }
  | { type: 'stop' };
export type ToParent =
  | { type: 'ready'; url: string }
  | { type: 'measure-started' }
  | ({ type: 'measured' } & Measurement)
  | { type: 'statements-were-reset' }
  | ({ type: 'statements' } & StatementCounts);

export interface RunningServer {
  kind: ServerKind;
  url: string;
  client: BenchClient;
  pid: number;
  measureStart(): Promise<void>;
  measureStop(): Promise<Measurement>;
  /** The bridge started with countStatements only: starts counting SQL statements afresh. */
  statementsReset(): Promise<void>;
  statementsRead(): Promise<StatementCounts>;
  stop(): Promise<void>;
}

export const REDIRECT_URI = 'http://127.0.0.1:8080/cb';
const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

function freePortOf(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function nextMessage<T extends ToParent['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs = 60_000,
): Promise<Extract<ToParent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`server child: no ${type} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: ToParent) => {
      if (m.type === type) done(undefined, m as Extract<ToParent, { type: T }>);
    };
    const onExit = (code: number | null) => done(new Error(`server child exited (${code}) before ${type}`));
    const done = (err?: Error, m?: Extract<ToParent, { type: T }>) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function startServer(
  kind: ServerKind,
  opts: { storeUrl?: string; bridgeConfig?: Record<string, unknown>; countStatements?: boolean } = {},
): Promise<RunningServer> {
  const port = await freePortOf();
  const client: BenchClient = {
    id: `bench-${kind}`,
    secret: randomBytes(24).toString('base64url'),
    redirectUri: REDIRECT_URI,
  };
  const spec: ServerSpec = {
    kind,
    issuer: `http://127.0.0.1:${port}`,
    port,
    storeUrl: opts.storeUrl,
    keyEncryptionKey: randomBytes(32).toString('base64'),
    client,
    bridgeConfig: opts.bridgeConfig,
    countStatements: opts.countStatements,
  };
  const profDir = process.env.BENCH_CPU_PROF;
  const child = spawn(
    process.execPath,
    [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), '--import', 'tsx', CHILD],
    {
      env: { ...process.env, BENCH_SERVER_SPEC: JSON.stringify(spec) },
      // knex prints pool aborts at shutdown on stdout; errors still reach stderr.
      stdio: ['ignore', process.env.BENCH_VERBOSE ? 'inherit' : 'ignore', 'inherit', 'ipc'],
    },
  );
  try {
    await nextMessage(child, 'ready');
  } catch (err) {
    child.kill();
    throw err;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    kind,
    url: spec.issuer,
    client,
    pid: child.pid!,
    async measureStart() {
      const started = nextMessage(child, 'measure-started');
      child.send({ type: 'measure-start' } satisfies ToChild);
      await started;
    },
    async measureStop() {
      const measured = nextMessage(child, 'measured');
      child.send({ type: 'measure-stop' } satisfies ToChild);
      const { type: _type, ...m } = await measured;
      return m;
    },
    async statementsReset() {
      const done = nextMessage(child, 'statements-were-reset');
      child.send({ type: 'statements-reset' } satisfies ToChild);
      await done;
    },
    async statementsRead() {
      const read = nextMessage(child, 'statements');
      child.send({ type: 'statements-read' } satisfies ToChild);
      const { type: _type, ...counts } = await read;
      return counts;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' } satisfies ToChild);
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const BENCH_PASSWORD = 'Bench-legacy-password-2024';

export interface LegacyFixture {
  legacy: TestDatabase;
  store: TestDatabase;
  /** The bridge config's legacy section and the limits a bench needs. */
  bridgeConfig: Record<string, unknown>;
  usernames: string[];
  drop(): Promise<void>;
}

/**
 * A fresh store database and the import guide's example be_users table holding `users` distinct users, all
 * with one bcrypt hash of BENCH_PASSWORD (a $2y$ PHP hash at `cost`, computed once, off the
 * clock): each row is still a distinct user to migrate.
 */
export async function legacyFixture(users: number, cost = 10): Promise<LegacyFixture> {
  const [legacy, store] = await Promise.all([createMariaDatabase('obb'), createPgDatabase('obb')]);
  const hash = hashSync(BENCH_PASSWORD, cost);
  const usernames = Array.from({ length: users }, (_, i) => `bench-user-${i}`);
  const rows = usernames.map(
    (u, i) => `(${100_000 + i}, 'Bench', 'User ${i}', '${u}', '${u}@example.com', '${hash}', 'F', '0')`,
  );
  await loadBeUsers(
    legacy.url,
    rows.length
      ? `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, is_logged) VALUES ${rows.join(',\n')};`
      : '',
  );
  return {
    legacy,
    store,
    usernames,
    bridgeConfig: {
      // The refresh figure hammers one refresh token; rotation would make every use after the
      // first a replay. Both servers run without it (see BENCHMARKS.md).
      oidc: { rotate_refresh_tokens: false },
      legacy: {
        connection: legacy.url,
        table: 'be_users',
        identifiers: ['username', 'email'],
        columns: { id: 'id', password: 'password' },
        claims: {
          email: 'email',
          given_name: 'first_name',
          family_name: 'last_name',
          preferred_username: 'username',
        },
      },
    },
    async drop() {
      await Promise.all([legacy.drop(), store.drop()]);
    },
  };
}
