// Brute force against one legacy user, end to end: 50 wrong passwords through the login form
// of real bridges lead to a lockout page with Retry-After, and from the lockout on the legacy
// database is not queried for that user any more, as PostgreSQL's own table statistics show.
// The second half runs on a second bridge sharing the store, as a replica would.
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyLookups, startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, loginThroughBrowser, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { createLegacyTable, type LegacyTable, pgTableScans } from './support.ts';

const PASSWORD = 'Legacy-Password-0451';
const WRONG = registerSecret('password', 'not-the-password-0452');
const SECRET = 'lockout-client-secret-0453';

let legacy: LegacyTable;
let storeDb: TestDatabase;

beforeAll(async () => {
  legacy = await createLegacyTable('postgres', [
    { username: 'grace', email: 'grace@example.com', password: PASSWORD },
  ]);
  storeDb = await createPgDatabase();
});

afterAll(async () => {
  await legacy?.drop();
  await storeDb?.drop();
});

async function bridgeOnSharedStore(): Promise<{ t: TestBridge; rp: oidc.Configuration }> {
  const t = await startTestBridge({ legacy: legacy.config }, { database: storeDb });
  await t.bridge.store.db('clients').where({ client_id: 'app' }).delete();
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  return { t, rp: await relyingParty(t.url, 'app', SECRET) };
}

describe('50 wrong passwords for one legacy user', () => {
  it('lock the user out after free_attempts, and the legacy table sees no query after that', async () => {
    const before = await pgTableScans(legacy);

    // First replica: the free attempts, then the first refusal.
    const a = await bridgeOnSharedStore();
    const statuses: number[] = [];
    let lockedPage: Awaited<ReturnType<typeof submitLogin>> | undefined;
    try {
      const run = await beginLogin(a.rp);
      for (let i = 0; i < 11; i++) {
        const page = await submitLogin(run, 'grace', WRONG);
        statuses.push(page.status);
        if (page.status === 429) lockedPage = page;
      }
    } finally {
      await a.t.close();
    }
    const free = a.t.config.security.lockout.free_attempts;
    expect(statuses).toEqual([...Array(free).fill(401), 429]);
    const scansWhileOpen = (await pgTableScans(legacy)) - before;
    // Every one of the free attempts looked the user up (plus, at most, the decoy's sample row).
    expect(scansWhileOpen).toBeGreaterThanOrEqual(free);

    // The page says when to come back, and so does the header.
    expect(lockedPage).toBeDefined();
    const retryAfter = Number(lockedPage!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(a.t.config.security.lockout.base_seconds);
    expect(lockedPage!.html).toMatch(
      /Too many failed attempts\. Try again in (1 minute|([2-9]|\d\d+) minutes), at \d\d:\d\d UTC\./,
    );
    expect(lockedPage!.html).not.toContain('minute(s)');

    // Second replica, same store: the remaining 39 attempts, every one refused up front.
    const b = await bridgeOnSharedStore();
    const later: number[] = [];
    try {
      const run = await beginLogin(b.rp);
      for (let i = 0; i < 39; i++) later.push((await submitLogin(run, 'grace', WRONG)).status);
      expect(await legacyLookups(b.t.bridge)).toBe(0);
    } finally {
      await b.t.close();
    }
    expect(later).toEqual(Array(39).fill(429));
    expect((await pgTableScans(legacy)) - before).toBe(scansWhileOpen);

    // One lockout event in the audit trail, however many attempts it refused.
    const check = await startTestBridge({}, { database: storeDb });
    try {
      const lockouts = await check.bridge.store.db('audit_events').where({ type: 'lockout' });
      expect(lockouts).toHaveLength(1);
      expect(lockouts[0]).toMatchObject({ identifier: 'grace', reason: 'identifier_ip' });
    } finally {
      await check.close();
    }
  });
});

describe('successful logins', () => {
  it('give every point back in the login’s own statements, so one address can log in again and again', async () => {
    const store = await createPgDatabase();
    const t = await startTestBridge(
      { legacy: legacy.config, security: { ip_failures_per_hour: 2, identifier_failures_per_hour: 2 } },
      { database: store },
    );
    try {
      await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
      const rp = await relyingParty(t.url, 'app', SECRET);
      // A first login (it migrates) and five more, far past both budgets of 2.
      for (let i = 0; i < 6; i++) await loginThroughBrowser(rp, 'grace', PASSWORD);
      const rows = (await t.bridge.store.db('rate_limits').select('key', 'points', 'expire')) as Array<{
        key: string;
        points: number;
        expire: string;
      }>;
      const live = rows.filter((r) => Number(r.expire) > Date.now());
      // The hourly budgets (the address, the name, the user) hold no point of a success.
      const budgets = live.filter((r) => /^login_(ip|identifier):/.test(r.key));
      expect(budgets).toHaveLength(3);
      expect(budgets.every((r) => Number(r.points) === 0)).toBe(true);
      // The consecutive-failure counters of the name and of the user are forgotten.
      expect(live.filter((r) => r.key.startsWith('login_consecutive:'))).toEqual([]);
    } finally {
      await t.close();
      await store.drop();
    }
  });
});
