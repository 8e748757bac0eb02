// An option's value may begin with a dash: session ids are base64url, and one in 64 begins
// with "-". `accounts sessions ID --revoke -Uw…` ends that session, as it does any other;
// an option named after such an option is still an option.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCommands } from '../../src/cli/commands/accounts.ts';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { runCommands } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let store: Store;
let env: NodeJS.ProcessEnv;
const SESSION = '-UwPhGB9P3-jYT3ylcBoYrHYFZSVTjUlaC6YDJ3x2Yn';

beforeAll(async () => {
  database = await createPgDatabase();
  store = createStore({ database: database.url });
  await store.migrate();
  await createAccounts(store.db).insert(store.db, {
    sub: 'sub-grace',
    passwordHash: await hashBridgePassword('correct horse battery staple'),
    claims: {},
    source: 'legacy',
    identifiers: ['grace'],
  });
  const now = Math.floor(Date.now() / 1000);
  for (const uid of [SESSION, 'kept-session']) {
    await store.db('oidc_payloads').insert({
      type: 'Session',
      id: `jti-${uid}`,
      uid,
      payload: JSON.stringify({
        jti: `jti-${uid}`,
        uid,
        accountId: 'sub-grace',
        loginTs: now,
        exp: now + 3600,
      }),
      expires_at: new Date((now + 3600) * 1000),
    });
  }
  const configFile = join(mkdtempSync(join(tmpdir(), 'obt-dash-')), 'oidc-bridge.yaml');
  writeFileSync(configFile, 'database: ${TEST_STORE_URL}\n');
  env = { TEST_STORE_URL: database.url, OIDC_BRIDGE_CONFIG: configFile };
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

const sessionsLeft = async () =>
  (await store.db('oidc_payloads').where({ type: 'Session' }).select('uid')).map((r) => r.uid);

describe('an option value that begins with a dash', () => {
  it('is the value of the option before it: accounts sessions --revoke ends the session it names', async () => {
    const r = await runCommands(accountCommands, ['accounts', 'sessions', 'grace', '--revoke', SESSION], env);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Ended 1 session(s) of sub-grace');
    expect(await sessionsLeft()).toEqual(['kept-session']);
  });

  it.each([
    ['is still an option when it names one of the command', '--json'],
    [
      'is an unknown option, not a value, when it is spelled like one (a typo does not become a value)',
      '--revokeall',
    ],
  ])('%s', async (_name, next) => {
    const r = await runCommands(accountCommands, ['accounts', 'sessions', 'grace', '--revoke', next], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Did you forget to specify the option argument for '--revoke'?");
    expect(await sessionsLeft()).toEqual(['kept-session']);
  });

  it('names an unknown session in the answer, dash and all', async () => {
    const r = await runCommands(accountCommands, ['accounts', 'sessions', 'grace', '--revoke', '-nope'], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('has no session "-nope"');
  });
});
