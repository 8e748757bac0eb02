// Starts a server under load (server-child.ts) in its own process with its own fresh
// PostgreSQL store, and the legacy be_users table on MariaDB it migrates from. Measurements
// (event-loop delay, CPU time) are taken inside the child and fetched over IPC.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { hashSync } from '@node-rs/bcrypt';
import mysql from 'mysql2/promise';
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
  /** Statements of counters kept by rate-limiter-flexible in requests, which pass knex's query events by. */
  rateLimits?: number;
  /**
   * Of `store`, the reads a per-process read cache makes when it is cold or has expired
   * (`oidc.read_cache_seconds`: a client's metadata, an account by sub). They come with each
   * process and each few seconds, not with each login.
   */
  cacheReads?: number;
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
  /**
   * Merged into the bridge's config (legacy section, security limits). A bare server reads
   * only its oidc.rotate_refresh_tokens, so that both rotate refresh tokens alike.
   */
  bridgeConfig?: Record<string, unknown>;
  /** Registers the bench client in the store; false for a second process on the same store. */
  registerClient?: boolean;
  /** Runs the delivery worker in the process, as `oidc-bridge start` does. */
  worker?: boolean;
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
  /**
   * CPU time of the main thread alone (the event loop: the bridge's own code, and the kernel's
   * work for its sockets), from /proc; undefined where there is no /proc.
   */
  mainThreadCpuMs?: number;
  wallMs: number;
  /** With BENCH_COUNT_PROMISES=1: promises made and young-generation collections over the run. */
  promises?: number;
  scavenges?: number;
}

/** One soak sample, taken inside the server process; window figures cover the time since the last. */
export interface Sample {
  rssMb: number;
  heapUsedMb: number;
  /** Event-loop delay p99 over the window (the histogram is reset at every sample). */
  eventLoopP99Ms: number;
  /** process.getActiveResourcesInfo().length: sockets, timers, handles of every kind. */
  activeResources: number;
  /** The store's knex pool (tarn): acquires that found every connection busy, in the window. */
  poolWaits: number;
  /** Longest connection acquire in the window, and the acquires waiting right now. */
  poolAcquireMaxMs: number;
  poolPendingAcquires: number;
  /** Delivery jobs not yet delivered (status pending); undefined on a bare server. */
  outboxDepth: number | undefined;
}

export type ToChild =
  | { type: 'sample' }
  | { type: 'measure-start' }
  | { type: 'measure-stop' }
  | { type: 'statements-reset' }
  | { type: 'statements-read' }
  | { type: 'stop' };
export type ToParent =
  | { type: 'ready'; url: string }
  | ({ type: 'sampled' } & Sample)
  | { type: 'measure-started' }
  | ({ type: 'measured' } & Measurement)
  | { type: 'statements-were-reset' }
  | ({ type: 'statements' } & StatementCounts);

export interface RunningServer {
  kind: ServerKind;
  url: string;
  client: BenchClient;
  /** The store's key encryption key, which a second process on the same store must share. */
  keyEncryptionKey: string;
  pid: number;
  /** Soak figures of the process since the last sample (see Sample). */
  sample(): Promise<Sample>;
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

export interface StartServerOptions {
  storeUrl?: string;
  bridgeConfig?: Record<string, unknown>;
  /** Run the delivery worker in the process (the bridge only). */
  worker?: boolean;
  /**
   * A process already serving the same store: this one takes its client and key encryption
   * key, as a second replica of one deployment would, and registers no client of its own.
   */
  peer?: RunningServer;
  /** Count the bridge's SQL statements by request (ServerSpec.countStatements). */
  countStatements?: boolean;
}

export async function startServer(kind: ServerKind, opts: StartServerOptions = {}): Promise<RunningServer> {
  const port = await freePortOf();
  const client: BenchClient = opts.peer?.client ?? {
    id: `bench-${kind}`,
    secret: randomBytes(24).toString('base64url'),
    redirectUri: REDIRECT_URI,
  };
  const spec: ServerSpec = {
    kind,
    issuer: `http://127.0.0.1:${port}`,
    port,
    storeUrl: opts.storeUrl,
    keyEncryptionKey: opts.peer?.keyEncryptionKey ?? randomBytes(32).toString('base64'),
    client,
    bridgeConfig: opts.bridgeConfig,
    registerClient: opts.peer === undefined,
    worker: opts.worker,
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
    keyEncryptionKey: spec.keyEncryptionKey,
    pid: child.pid!,
    async sample() {
      const sampled = nextMessage(child, 'sampled');
      child.send({ type: 'sample' } satisfies ToChild);
      const { type: _type, ...s } = await sampled;
      return s;
    },
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
  /** Every user of the table, in the order they were added. */
  usernames: string[];
  /** The legacy id (be_users.id, the bridge's sub) of one of the usernames. */
  legacyIdOf(username: string): string;
  /** Adds `count` more users with the same hash, as a legacy application still signing people up would. */
  addUsers(count: number): Promise<string[]>;
  drop(): Promise<void>;
}

/** be_users rows from index `from` on, all with one hash: each is still a distinct user to migrate. */
const FIRST_ID = 100_000;
const USER_PREFIX = 'bench-user-';

function beUsersInsert(from: number, count: number, hash: string): { names: string[]; sql: string } {
  const names = Array.from({ length: count }, (_, k) => `${USER_PREFIX}${from + k}`);
  const rows = names.map(
    (u, k) =>
      `(${FIRST_ID + from + k}, 'Bench', 'User ${from + k}', '${u}', '${u}@example.com', '${hash}', 'F', '0', '2019-05-06 07:08:09')`,
  );
  return {
    names,
    sql: rows.length
      ? `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, is_logged, created_at) VALUES ${rows.join(',\n')};`
      : '',
  };
}

/**
 * A fresh store database and the import guide's example be_users table holding `users` distinct users, all
 * with one bcrypt hash of BENCH_PASSWORD (a $2y$ PHP hash at `cost`, computed once, off the
 * clock): each row is still a distinct user to migrate.
 */
export async function legacyFixture(users: number, cost = 10): Promise<LegacyFixture> {
  const [legacy, store] = await Promise.all([createMariaDatabase('obb'), createPgDatabase('obb')]);
  const hash = hashSync(BENCH_PASSWORD, cost);
  const first = beUsersInsert(0, users, hash);
  await loadBeUsers(legacy.url, first.sql);
  const usernames = first.names;
  return {
    legacy,
    store,
    usernames,
    legacyIdOf: (username) => String(FIRST_ID + Number(username.slice(USER_PREFIX.length))),
    async addUsers(count) {
      const more = beUsersInsert(usernames.length, count, hash);
      usernames.push(...more.names);
      const conn = await mysql.createConnection({ uri: legacy.url });
      try {
        if (more.sql) await conn.query(more.sql);
      } finally {
        await conn.end();
      }
      return more.names;
    },
    bridgeConfig: {
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
