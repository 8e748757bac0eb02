// `oidc-bridge audit list`: the audit trail with filters, newest first, as a table or JSON;
// every malformed filter is a usage error with exit code 2, not an empty answer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCommands, parseSince } from '../../src/cli/commands/audit.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { silentLogger } from '../../src/logger.ts';
import { createAudit } from '../../src/security/audit.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { runBin } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let store: Store;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  database = await createPgDatabase();
  store = createStore({ database: database.url });
  await store.migrate();
  const audit = createAudit(store.db, silentLogger);
  await store.db('audit_events').insert({
    type: 'login',
    outcome: 'failure',
    reason: 'wrong_password',
    identifier: 'old-timer',
    at: new Date(Date.now() - 3 * 86_400_000),
  });
  await audit.record({
    type: 'login',
    outcome: 'failure',
    reason: 'unknown_user',
    identifier: 'nobody',
    ip: '10.0.0.1',
  });
  await audit.record({
    type: 'login',
    outcome: 'failure',
    reason: 'wrong_password',
    identifier: 'ada',
    ip: '10.0.0.1',
  });
  await audit.record({
    type: 'lockout',
    outcome: 'info',
    reason: 'identifier_ip',
    identifier: 'ada',
    ip: '10.0.0.1',
    details: { seconds: 60 },
  });
  await audit.record({ type: 'migration', outcome: 'success', sub: 'user-1', details: { scheme: 'bcrypt' } });
  await audit.record({
    type: 'login',
    outcome: 'success',
    reason: 'migrated',
    sub: 'user-1',
    identifier: 'ada',
    ip: '10.0.0.2',
  });
  const dir = mkdtempSync(join(tmpdir(), 'obt-audit-'));
  const file = join(dir, 'oidc-bridge.yaml');
  writeFileSync(file, 'database: ${TEST_STORE_URL}\n');
  env = { TEST_STORE_URL: database.url, OIDC_BRIDGE_CONFIG: file };
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

async function audit(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: new PassThrough(),
    isTTY: false,
    env,
  };
  const code = await runCli(auditCommands, ['audit', 'list', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function events(...args: string[]): Promise<Array<Record<string, unknown>>> {
  const r = await audit(...args, '--json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

describe('audit list', () => {
  it('shows every event, newest first, as a table', async () => {
    const r = await audit();
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^at\s+type\s+outcome\s+reason\s+sub\s+identifier\s+ip/);
    expect(lines).toHaveLength(7);
    expect(lines[1]).toContain('migrated');
    expect(lines[6]).toContain('old-timer');
  });

  it('gives JSON with ISO times and the details', async () => {
    const all = await events();
    expect(all).toHaveLength(6);
    expect(all[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(all.find((e) => e.type === 'lockout')!.details).toEqual({ seconds: 60 });
  });

  it('filters by type and by outcome', async () => {
    expect((await events('--type', 'lockout')).map((e) => e.reason)).toEqual(['identifier_ip']);
    expect((await events('--type', 'login', '--outcome', 'failure')).map((e) => e.identifier)).toEqual([
      'ada',
      'nobody',
      'old-timer',
    ]);
  });

  it('filters by subject and by identifier', async () => {
    expect((await events('--sub', 'user-1')).map((e) => e.type)).toEqual(['login', 'migration']);
    expect((await events('--identifier', 'ada')).map((e) => e.type)).toEqual(['login', 'lockout', 'login']);
  });

  it('leaves out what is older than --since, given as an age or as an ISO date', async () => {
    expect(await events('--since', '1h')).toHaveLength(5);
    expect(await events('--since', '7d')).toHaveLength(6);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    expect(await events('--since', yesterday)).toHaveLength(5);
    expect(await events('--since', yesterday.slice(0, 10))).toHaveLength(5);
  });

  it('stops at --limit', async () => {
    expect(await events('--limit', '2')).toHaveLength(2);
  });

  it('says so when nothing matches', async () => {
    const r = await audit('--type', 'delivery');
    expect(r.code).toBe(0);
    expect(r.out).toBe('No audit events match.');
  });

  it.each([
    [['--outcome', 'failed'], 'is not one of success, failure, info'],
    [['--since', 'yesterday'], 'neither an ISO 8601 date nor an age'],
    [['--since', '5y'], 'neither an ISO 8601 date nor an age'],
    [['--since', '2026-13-45'], 'neither an ISO 8601 date nor an age'],
    [['--limit', '0'], 'positive whole number'],
    [['--limit', 'ten'], 'positive whole number'],
    [['--limit', '10001'], 'at most 10000'],
    [['--type', 'login; DROP TABLE audit_events'], 'not a valid value'],
    [['--sub', ''], 'must be 1 to 255 characters'],
    [['--identifier', 'x'.repeat(321)], 'must be 1 to 320 characters'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with exit code 2 and says why', async (args, message) => {
    const r = await audit(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('Usage: oidc-bridge audit list');
  });
});

describe('parseSince', () => {
  it('reads ages in seconds, minutes, hours, days and weeks', () => {
    const now = Date.UTC(2026, 10, 22, 12);
    expect(parseSince('90s', now).toISOString()).toBe('2026-11-22T11:58:30.000Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-11-22T11:30:00.000Z');
    expect(parseSince('2w', now).toISOString()).toBe('2026-11-08T12:00:00.000Z');
  });
});

describe('the real command line', () => {
  it('lists the audit trail through bin/oidc-bridge.js', async () => {
    const r = await runBin(['audit', 'list', '--type', 'lockout', '--json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
  });
});
