// The figures behind the console's pages: the cut-over projection on its own, and the
// rollups against a real PostgreSQL store: closed hours counted once (by one of two
// replicas rolling up at the same moment), the current hours counted live, days and hours
// adding up to the rows in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressFigures, projectCutover } from '../../src/console/progress.ts';
import { createRollups, hourOf } from '../../src/console/rollups.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { waitFor } from '../support/wait.ts';

const DAY = 86_400_000;
const now = new Date('2026-12-01T10:30:00Z');
const window = (users: number, firstLogins: number, days = 14) =>
  Array.from({ length: days }, () => ({ users, firstLogins }));

describe('the cut-over projection', () => {
  it('estimates the active users left from the share of first logins among the day’s logins', () => {
    const p = projectCutover({ migratedAtLogin: 900, window: window(100, 20), now });
    // u = 0.2 of active users unmigrated; A = 900 / 0.8; R = A · u; p = 100 / A.
    expect(p.basis).toBe('login_mix');
    expect(p.activeUsers).toBe(1125);
    expect(p.remainingActive).toBe(225);
    expect(p.dailyLoginChance).toBeCloseTo(100 / 1125, 10);
    const days90 = Math.log(0.1) / Math.log(1 - 100 / 1125);
    expect((p.p90!.getTime() - now.getTime()) / DAY).toBeCloseTo(days90, 6);
    expect(p.p99!.getTime()).toBeGreaterThan(p.p90!.getTime());
  });

  it('uses the legacy last-login column instead when it has one', () => {
    const p = projectCutover({
      migratedAtLogin: 5,
      window: window(100, 20),
      active: { users: 1000, withAccount: 800 },
      now,
    });
    expect(p).toMatchObject({
      basis: 'last_login',
      activeUsers: 1000,
      remainingActive: 200,
      dailyLoginChance: 0.1,
    });
    expect((p.p90!.getTime() - now.getTime()) / DAY).toBeCloseTo(Math.log(0.1) / Math.log(0.9), 6);
  });

  it('says why when no projection can be made yet', () => {
    expect(projectCutover({ migratedAtLogin: 0, window: [], now }).unavailable).toMatch(/no logins/);
    expect(projectCutover({ migratedAtLogin: 10, window: window(10, 10), now }).unavailable).toMatch(
      /every login so far is a first login/,
    );
  });

  it('dates the cut-over today when no active user is left', () => {
    const p = projectCutover({ migratedAtLogin: 500, window: window(50, 0), now });
    expect(p.remainingActive).toBe(0);
    expect(p.p99).toEqual(now);
  });
});

describe('the rollups', () => {
  let database: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    database = await createPgDatabase('obt_rollups');
    store = createStore({ database: database.url });
    await store.migrate();
    const db = store.db;
    // 200 logins a day over the last five days, and 7 in the current hour.
    await db.raw(
      `INSERT INTO audit_events (at, type, outcome, reason, sub, details)
       SELECT ?::timestamptz - (g * interval '36 minutes'), 'login', 'success',
              CASE WHEN g % 4 = 0 THEN 'migrated' ELSE 'bridge' END, 'user' || (g % 150),
              jsonb_build_object('scheme', CASE WHEN g % 4 = 0 THEN 'md5' ELSE 'argon2id' END)
         FROM generate_series(1, 200) g`,
      [hourOf(now)],
    );
    await db.raw(
      `INSERT INTO audit_events (at, type, outcome, reason, sub, details)
       SELECT ?::timestamptz + (g * interval '1 minute'), 'login', 'failure', 'wrong_password', NULL, '{}'::jsonb
         FROM generate_series(1, 7) g`,
      [hourOf(now)],
    );
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('counts each closed hour once, even with two replicas rolling up at the same moment', async () => {
    const a = createRollups(store.db);
    const b = createRollups(store.db);
    await Promise.all([a.advance(now), b.advance(now)]);
    await a.advance(now);
    expect(await a.rolledUntil()).toEqual(hourOf(now));
    const totals = await a.totals('login', now);
    expect(totals['success/bridge/argon2id']).toBe(150);
    expect(totals['success/migrated/md5']).toBe(50);
    // The current hour is not rolled up yet: counted live.
    expect(totals['failure/wrong_password/']).toBe(7);
    const stored = await store.db('rollups').where({ metric: 'login' }).sum({ n: 'value' }).first();
    expect(Number(stored!.n)).toBe(200);
  });

  it('gives the same counts by day and by hour', async () => {
    const r = createRollups(store.db);
    const from = new Date(now.getTime() - 7 * DAY);
    const hourly = await r.series(['login'], from, now);
    const daily = await r.series(['login'], from, now, { daily: true });
    const sum = (rows: Array<{ value: number }>) => rows.reduce((s, x) => s + x.value, 0);
    expect(sum(hourly.rows)).toBe(207);
    expect(sum(daily.rows)).toBe(207);
    expect(daily.rows.length).toBeLessThan(hourly.rows.length);
  });

  it('feeds the Progress figures: first logins and distinct users per day', async () => {
    const f = await progressFigures(createRollups(store.db), { now, days: 7 });
    const total = f.days.reduce((s, d) => s + d.bridgeLogins + d.legacyLogins, 0);
    expect(total).toBe(200);
    expect(f.days.reduce((s, d) => s + d.firstLogins, 0)).toBe(50);
    const yesterday = f.days.at(-2)!;
    expect(yesterday.users).toBeGreaterThan(0);
    expect(f.days.at(-1)!.users).toBeNull();
  });
});

describe('today’s readiness from a legacy last-login column', () => {
  it('is counted by the console’s tick and shown by the Progress figures', async () => {
    const { startConsoleFixture } = await import('./support.ts');
    const f = await startConsoleFixture({ lastLogin: true });
    try {
      const { createRollups } = await import('../../src/console/rollups.ts');
      const rollups = createRollups(f.t.bridge.store.db);
      const latest = await waitFor(
        () => rollups.latest('cutover_active'),
        (v) => v !== undefined,
        20_000,
      );
      // Three legacy users logged in three days ago; none has an account yet.
      expect(latest!.values).toEqual({ users: 3, with_account: 0 });
      const figures = await progressFigures(rollups);
      expect(figures.readiness).toMatchObject({ activeUsers: 3, withAccount: 0, percent: 0 });
      expect(figures.projection.basis).toBe('last_login');
    } finally {
      await f.close();
    }
  });
});
