// When PostgreSQL refuses a request's payload write for a reason that is no outage (here a
// trigger of the test's own that raises a check violation), the request still gets a clear
// answer, never a bare "Internal Server Error": a page for a browser, oidc-provider's JSON
// server_error for a client, with nothing of the statement or a stack in it.
import type * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { beginLogin, loginThroughBrowser, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';

const SECRET = 'app-client-secret-for-tests';
const PASSWORD = 'correct horse battery staple';

let t: TestBridge;
let rp: oidc.Configuration;

beforeAll(async () => {
  t = await startTestBridge();
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  await t.addAccount({
    sub: 'user-w',
    password: PASSWORD,
    claims: { email: 'wu@example.com' },
    identifiers: ['wu'],
  });
  rp = await relyingParty(t.url, 'app', SECRET);
});

afterAll(async () => {
  await t?.close();
});

/** Makes PostgreSQL refuse every write of a payload of these types, as a check would. */
async function refuseWrites(...types: string[]): Promise<void> {
  const list = types.map((type) => `'${type}'`).join(', ');
  await t.bridge.store.db.raw(`
    create or replace function refuse_payload() returns trigger language plpgsql as $$
    begin
      if new.type in (${list}) then
        raise exception 'refused by the test' using errcode = 'check_violation';
      end if;
      return new;
    end $$;
    create trigger refuse_payload before insert or update on oidc_payloads
      for each row execute function refuse_payload();`);
}

afterEach(async () => {
  await t.bridge.store.db.raw('drop trigger if exists refuse_payload on oidc_payloads');
});

const noStack = (body: string) => expect(body).not.toMatch(/\n\s+at .+:\d+:\d+|refuse_payload|oidc_payloads/);

describe('a payload write PostgreSQL refuses', () => {
  it('at the token endpoint answers the client with server_error as JSON', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'wu', PASSWORD);
    await refuseWrites('AccessToken', 'RefreshToken');
    const res = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callbackUrl.searchParams.get('code')!,
        redirect_uri: REDIRECT_URI,
        code_verifier: run.verifier,
      }).toString(),
    });
    const body = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(body)).toMatchObject({ error: 'server_error' });
    noStack(body);
    expect(t.logs.some((l) => l.includes('refused by the test'))).toBe(true);
  });

  it('when the login resumes answers the browser with the error page', async () => {
    const run = await beginLogin(rp);
    await refuseWrites('Session');
    const page = await submitLogin(run, 'wu', PASSWORD);
    expect(page.status).toBe(500);
    expect(page.html).toContain('<h1>');
    noStack(page.html);
  });
});
