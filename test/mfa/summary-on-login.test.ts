// The second-factor summary rides on the login's account lookup: the login POST of a migrated
// account sends no statement of its own to learn what second factors the account has, and
// what it learns is what the store holds. An account with an authenticator app is still
// asked for a code (and signs in with it), one with a passkey is sent to the second step
// when the client asks for aal2, and one that declined the passkey offer is not offered it
// again. Statements are counted by a knex query listener on the bridge's own store.
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import {
  createSecondFactorQueries,
  NO_SECOND_FACTORS,
  summaryColumn,
  summaryOf,
} from '../../src/mfa/queries.ts';
import { totpCode } from '../../src/mfa/totp.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { Browser, formOf, type Page } from '../support/browser.ts';
import { registerSecret } from '../support/secrets.ts';
import { authorization, CALLBACK, exchange, type LocalBridge, startLocalBridge } from './support.ts';

const PASSWORD = registerSecret('password', 'summary-on-login-password-1');
const TOTP_SECRET = registerSecret('key', 'KRUGS4ZANFZSAYJAORSXG5BAONSWG4TF');
const totp = { secret: TOTP_SECRET, digits: 6, period: 30, algorithm: 'SHA1' as const };

let t: LocalBridge;
let rp: oidc.Configuration;

/** A migrated account that has logged in before: its bridge hash is set. */
async function migratedAccount(sub: string, name: string): Promise<void> {
  const passwordHash = await hashBridgePassword(PASSWORD);
  await createAccounts(t.bridge.store.db).insert(t.bridge.store.db, {
    sub,
    legacyId: sub,
    passwordHash,
    claims: { email: `${name}@example.com` },
    source: 'legacy',
    identifiers: [name],
  });
}

async function withTotp(sub: string): Promise<void> {
  await createSecondFactorQueries(t.bridge.store.db).setTotp(sub, {
    ...totp,
    secret: t.bridge.box.seal(TOTP_SECRET),
    source: 'legacy',
  });
}

async function withPasskey(sub: string, credentialId: string): Promise<void> {
  await createSecondFactorQueries(t.bridge.store.db).addPasskey({
    credential_id: credentialId,
    sub,
    public_key: 'pQECAyYgASFYIPz',
    counter: 0,
    transports: ['internal'],
    device_type: 'multiDevice',
    backed_up: true,
    aaguid: null,
  });
}

// The key refresh, the sweep of expired rows, and the job queues' claims (the outbox and the
// back-channel logouts, each claimed by its own poll loop).
const BACKGROUND =
  /^(select .* from "keys"|delete from "keys"|delete from "oidc_payloads" where "expires_at" <|WITH due AS \()/;

/**
 * The login form posted with the password, the redirect not followed: where the login POST
 * sends the browser, and the statements the bridge sent to its store while answering it.
 */
async function loginPost(
  browser: Browser,
  login: Page,
  name: string,
  extra: Record<string, string> = {},
): Promise<{ location: string; sql: string[] }> {
  const form = formOf(login, /\/login$/);
  const sql: string[] = [];
  // The bridge's timers (the key refresh every 30 s, the sweep of expired rows, the queues'
  // polls) may fire while the request runs on a busy machine: their statements are not the login's.
  const listener = (q: { sql: string }) => {
    if (!BACKGROUND.test(q.sql)) sql.push(q.sql);
  };
  t.bridge.store.db.on('query', listener);
  let res: Response;
  try {
    res = await fetch(form.action, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
      body: new URLSearchParams({
        ...form.fields,
        identifier: name,
        password: PASSWORD,
        ...extra,
      }).toString(),
    });
  } finally {
    t.bridge.store.db.off('query', listener);
  }
  expect(res.status).toBe(303);
  return { location: new URL(res.headers.get('location')!, form.action).toString(), sql };
}

/** The statements that read or write second factors. */
const secondFactorStatements = (sql: string[]) =>
  sql.filter((s) => /account_(second_factors|passkeys)/.test(s));

beforeAll(async () => {
  t = await startLocalBridge({
    key_encryption_key: registerSecret('key', 'summary-on-login-tests-key-encryption-key-0123'),
  });
  rp = await t.addClient({ id: 'app', firstParty: true });
  await migratedAccount('s-totp', 'tess');
  await withTotp('s-totp');
  await migratedAccount('s-passkey', 'pia');
  await withPasskey('s-passkey', 'credential-of-pia');
  await migratedAccount('s-declined', 'dana');
  await createSecondFactorQueries(t.bridge.store.db).declinePasskey('s-declined');
  await migratedAccount('s-plain', 'paul');
});
afterAll(async () => t?.close());

describe('the login POST of a migrated account', () => {
  it('reads the second-factor summary with the account lookup and still asks an authenticator app user for a code', async () => {
    const browser = new Browser(CALLBACK);
    const auth = await authorization(rp);
    const login = await browser.get(auth.url.toString());
    const post = await loginPost(browser, login, 'tess');
    expect(post.location).toMatch(/\/second-factor$/);
    // One statement touches second factors, and it is the account lookup.
    const reads = secondFactorStatements(post.sql);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/^select "a"\.\*, json_build_object\(/);
    expect(reads[0]).toContain('from "account_identifiers"');
    // The interaction read, the lookup, the attempt counters, the login record with its audit
    // row and the counters' give-back, the interaction's result: the summary's own SELECT is gone.
    expect(post.sql, post.sql.join('\n')).toHaveLength(5);

    const codePage = await browser.get(post.location);
    expect(codePage.html).toContain('name="code"');
    const form = formOf(codePage, /\/second-factor$/);
    const back = await browser.post(form.action, { ...form.fields, code: totpCode(totp) });
    expect(back.url.startsWith(CALLBACK)).toBe(true);
    const tokens = await exchange(rp, auth, new URL(back.url));
    expect(tokens.claims()!.sub).toBe('s-totp');
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(
      await t.bridge.store.db('audit_events').where({ type: 'second_factor', sub: 's-totp' }).first(),
    ).toMatchObject({
      outcome: 'success',
      reason: 'totp',
    });
  });

  it('sends a user with a passkey to the second step when the client asks for aal2', async () => {
    const browser = new Browser(CALLBACK);
    const login = await browser.get((await authorization(rp, { acr_values: 'aal2' })).url.toString());
    const post = await loginPost(browser, login, 'pia');
    expect(post.location).toMatch(/\/second-factor$/);
    expect(secondFactorStatements(post.sql)).toHaveLength(1);
  });

  it('does not offer a passkey again to a user whose decline is remembered, and offers it to one who never declined', async () => {
    const declined = new Browser(CALLBACK);
    const login = await declined.get((await authorization(rp)).url.toString());
    const post = await loginPost(declined, login, 'dana', { passkey_capable: '1' });
    expect(post.location).not.toMatch(/\/passkey$/);
    expect(post.location).toMatch(/\/auth\//);
    // The offer is decided from the summary the lookup read: no second read.
    expect(secondFactorStatements(post.sql)).toHaveLength(1);
    const back = await declined.get(post.location);
    expect(new URL(back.url).searchParams.get('code')).toBeTruthy();

    const never = new Browser(CALLBACK);
    const again = await never.get((await authorization(rp)).url.toString());
    const offered = await loginPost(never, again, 'paul', { passkey_capable: '1' });
    expect(offered.location).toMatch(/\/passkey$/);
    expect(secondFactorStatements(offered.sql)).toHaveLength(1);
  });
});

describe('the summary read with the account lookup', () => {
  it('is the summary the store gives on its own, for an account with every kind of factor and for one with none', async () => {
    const db = t.bridge.store.db;
    const queries = createSecondFactorQueries(db);
    await migratedAccount('s-all', 'alex');
    await withTotp('s-all');
    await withPasskey('s-all', 'credential-one-of-alex');
    await withPasskey('s-all', 'credential-two-of-alex');
    await queries.replaceRecoveryCodes('s-all', ['digest-1', 'digest-2', 'digest-3']);
    expect(await queries.redeemRecoveryCode('s-all', 'digest-2')).toBe(true);
    await queries.declinePasskey('s-all');

    const accounts = createAccounts(db);
    const found = await accounts.findByIdentifierWith('alex', (sub) => summaryColumn(db, sub));
    expect(found!.account).toEqual(await accounts.findByIdentifier('alex'));
    const alongside = summaryOf(found!.alongside);
    expect(alongside).toEqual(await queries.summary('s-all'));
    expect(alongside).toMatchObject({ totp: true, passkeys: 2, recoveryCodesLeft: 2 });
    expect(Date.now() - alongside.passkeyDeclinedAt!.getTime()).toBeLessThan(60_000);

    const plain = await accounts.findByIdentifierWith('paul', (sub) => summaryColumn(db, sub));
    expect(summaryOf(plain!.alongside)).toEqual(NO_SECOND_FACTORS);
    expect(await queries.summary('s-plain')).toEqual(NO_SECOND_FACTORS);
    expect(await accounts.findByIdentifierWith('nobody', (sub) => summaryColumn(db, sub))).toBeUndefined();
  });
});
