// Guessing past the guard on a MariaDB legacy table whose collation (utf8mb4_unicode_ci)
// ignores case, accents, fullwidth forms and zero-width characters: after the limit no
// spelling of the user and no burst of concurrent guesses reaches the legacy database,
// counted as the statements the legacy connection sent to MariaDB.
import knexPkg, { type Knex } from 'knex';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { formOf } from '../support/browser.ts';
import { beginLogin, type LoginRun, REDIRECT_URI, relyingParty } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { createLegacyTable, type LegacyTable } from './support.ts';

const { knex } = knexPkg;
const PASSWORD = 'Victim-Password-2231';
const WRONG = registerSecret('password', 'not-the-password-2232');
const SECRET = 'spellings-client-secret-2233';

let legacy: LegacyTable;

beforeAll(async () => {
  legacy = await createLegacyTable(
    'mysql',
    [{ username: 'victim', email: 'victim@example.com', password: PASSWORD }],
    { cost: 4 },
  );
  await legacy.withDb((db) =>
    db.raw('ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci'),
  );
});

afterAll(async () => {
  await legacy?.drop();
});

interface Counted {
  t: TestBridge;
  rp: oidc.Configuration;
  db: Knex;
  /** Statements on the users table that MariaDB has answered so far. */
  lookups(): number;
  close(): Promise<void>;
}

async function countedBridge(security: Record<string, unknown> = {}): Promise<Counted> {
  const db = knex({ client: 'mysql2', connection: legacy.database.url, pool: { min: 0, max: 4 } });
  let lookups = 0;
  db.on('query-response', (_res: unknown, q: { sql: string }) => {
    if (/from `users`/i.test(q.sql)) lookups++;
  });
  const t = await startTestBridge(
    { legacy: legacy.config, security: { trust_proxy: true, ...security } },
    { legacyDb: db },
  );
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  return {
    t,
    db,
    rp: await relyingParty(t.url, 'app', SECRET),
    lookups: () => lookups,
    async close() {
      await t.close();
      await db.destroy();
    },
  };
}

/** Posts the login form of a started interaction from the given client address; the status. */
async function post(run: LoginRun, identifier: string, password: string, ip: string): Promise<number> {
  const form = formOf(run.loginPage, /\/login$/);
  const page = await run.browser.post(
    form.action,
    { ...form.fields, identifier, password },
    { 'x-forwarded-for': ip },
  );
  return page.status;
}

/** One login on a fresh interaction. */
async function attempt(c: Counted, identifier: string, password: string, ip = '198.51.100.7') {
  return post(await beginLogin(c.rp), identifier, password, ip);
}

const FULLWIDTH = (c: string) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0);

/** The n-th of 4^6 spellings of "victim": each letter lower, upper, fullwidth or fullwidth upper. */
function spelling(n: number): string {
  return [...'victim']
    .map((c, i) => {
      const form = Math.floor(n / 4 ** i) % 4;
      return [c, c.toUpperCase(), FULLWIDTH(c), FULLWIDTH(c.toUpperCase())][form]!;
    })
    .join('');
}

describe('spellings the legacy collation treats as one user', () => {
  it('are one user to MariaDB itself', async () => {
    const found = await legacy.withDb(async (db) => {
      const out: number[] = [];
      for (const s of ['ｖｉｃｔｉｍ', 'víctim', 'victim\u200b', 'VÍCTIM@EXAMPLE.COM']) {
        const [rows] = await db.raw('SELECT id FROM users WHERE username = ? OR email = ?', [s, s]);
        out.push((rows as unknown[]).length);
      }
      return out;
    });
    expect(found).toEqual([1, 1, 1, 1]);
  });

  it('after a lockout none logs in, even with the right password, and none reaches the database again', async () => {
    const c = await countedBridge();
    try {
      const free = c.t.config.security.lockout.free_attempts;
      const statuses: number[] = [];
      for (let i = 0; i < free; i++) statuses.push(await attempt(c, 'victim', WRONG));
      expect(statuses).toEqual(Array(free).fill(401));
      const atLockout = c.lookups();
      const later: number[] = [];
      for (const s of ['ｖｉｃｔｉｍ', 'víctim', 'victim\u200b', 'VÍCTIM@EXAMPLE.COM', 'vic\u00adtim']) {
        later.push(await attempt(c, s, PASSWORD));
      }
      expect(later).toEqual(Array(5).fill(429));
      expect(c.lookups()).toBe(atLockout);
      expect(Number((await c.t.bridge.store.db('accounts').count({ n: '*' }))[0]!.n)).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('110 guesses spelled differently from one IP reach the database at most free_attempts times; 180 more from 3 IPs at most 3 × free_attempts', async () => {
    const c = await countedBridge();
    try {
      const free = c.t.config.security.lockout.free_attempts;
      for (let i = 0; i < 110; i++) await attempt(c, spelling(i), WRONG, '198.51.100.1');
      expect(c.lookups()).toBeLessThanOrEqual(free);
      for (let i = 110; i < 290; i++) await attempt(c, spelling(i), WRONG, `198.51.100.${2 + (i % 3)}`);
      expect(c.lookups()).toBeLessThanOrEqual(4 * free);
    } finally {
      await c.close();
    }
  });
});

describe('concurrent guesses', () => {
  it('60 at once on one identifier from one IP make at most free_attempts legacy queries', async () => {
    const c = await countedBridge();
    try {
      const free = c.t.config.security.lockout.free_attempts;
      const runs = await Promise.all(Array.from({ length: 60 }, () => beginLogin(c.rp)));
      const statuses = await Promise.all(runs.map((run) => post(run, 'victim', WRONG, '203.0.113.9')));
      expect(c.lookups()).toBeLessThanOrEqual(free);
      expect(statuses.filter((s) => s === 401)).toHaveLength(free);
      expect(statuses.filter((s) => s === 429)).toHaveLength(60 - free);
    } finally {
      await c.close();
    }
  });

  it('200 at once from 4 IPs make at most 4 × free_attempts legacy queries', async () => {
    const c = await countedBridge();
    try {
      const free = c.t.config.security.lockout.free_attempts;
      const runs = await Promise.all(Array.from({ length: 200 }, () => beginLogin(c.rp)));
      await Promise.all(runs.map((run, i) => post(run, 'victim', WRONG, `203.0.113.${20 + (i % 4)}`)));
      expect(c.lookups()).toBeLessThanOrEqual(4 * free);
    } finally {
      await c.close();
    }
  });
});
