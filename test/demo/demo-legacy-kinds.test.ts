// The demo on every legacy store kind: `--legacy http` runs the shop's own password check
// over HTTP, `--legacy ldap` an OpenLDAP directory, each with the SQL demo's users and
// passwords. A demo user logs in through the demo's own application and arrives at the
// demo's target with the same record; stopping the demo ends the endpoint or slapd.
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DemoLegacyKind } from '../../src/demo/legacy-kinds.ts';
import { requireSlapd } from '../../src/demo/slapd.ts';
import { startDemo } from '../../src/demo/start-demo.ts';
import { silentLogger } from '../../src/logger.ts';
import { freePort } from '../support/bridge.ts';
import { Browser, formOf } from '../support/browser.ts';
import { runBin } from '../support/cli.ts';
import { waitFor } from '../support/wait.ts';

function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The legacy store's address, as the demo configured the bridge for it. */
function legacyUrl(config: { legacy?: { http?: { url: string }; ldap?: { url: string } } }): string {
  const url = config.legacy?.http?.url ?? config.legacy?.ldap?.url;
  if (!url) throw new Error('the demo configured no legacy url');
  return url;
}

const slapdRunningOn = (url: string) =>
  execFileSync('ps', ['-eo', 'args'])
    .toString()
    .split('\n')
    .some((line) => line.includes('slapd') && line.includes(`${url}/`));

describe.each([
  ['http', /own password check over HTTP at http:\/\/127\.0\.0\.1:\d+\/users/],
  ['ldap', /an OpenLDAP directory \(slapd\) at ldap:\/\/127\.0\.0\.1:\d+/],
] as const)('oidc-bridge demo --legacy %s', (kind, source) => {
  it('logs a demo user in through the demo application and delivers them to the target; stop ends the store', async () => {
    const demo = await startDemo({
      port: await freePort(),
      rpPort: await freePort(),
      targetPort: await freePort(),
      host: '127.0.0.1',
      legacy: kind as DemoLegacyKind,
      logger: silentLogger,
      logLevel: 'silent',
      env: {},
    });
    const storeUrl = legacyUrl(demo.config as never);
    try {
      expect(demo.legacyKind).toBe(kind);
      expect(demo.config.legacy?.kind).toBe(kind);
      const browser = new Browser();
      const start = await browser.get(demo.rpUrl);
      expect(start.html).toMatch(source);
      const ayse = demo.users.find((u) => u.username === 'ayse')!;
      expect(ayse.password).toBe('demo-bcrypt');

      const loginPage = await browser.get(`${demo.rpUrl}/login`);
      expect(loginPage.url.startsWith(demo.bridgeUrl)).toBe(true);
      const form = formOf(loginPage, /\/login$/);
      const result = await browser.post(form.action, {
        ...form.fields,
        identifier: 'ayse.yilmaz@example.com',
        password: 'demo-bcrypt',
      });
      expect(result.url).toBe(`${demo.rpUrl}/me`);
      expect(result.status).toBe(200);
      expect(result.html).toContain('ayse.yilmaz@example.com');

      const delivered = await waitFor(
        async () => demo.target.users().get('28801'),
        (u) => u !== undefined,
      );
      // The record the SQL demo delivers for Ayşe, from whichever store holds her.
      expect(delivered).toMatchObject({
        first_name: 'Ayşe',
        last_name: 'Yılmaz',
        email: 'ayse.yilmaz@example.com',
        gender: 'female',
        date_of_birth: '1990-05-17',
        date_joined: '2019-03-14T09:26:53Z',
        customer_code: '28801',
        email_allowed: true,
      });
      expect(await demo.target.verifyPassword('28801', 'demo-bcrypt')).toBe(true);

      const other = new Browser();
      const wrong = formOf(await other.get(`${demo.rpUrl}/login`), /\/login$/);
      const refused = await other.post(wrong.action, {
        ...wrong.fields,
        identifier: 'mehmet',
        password: 'not-his-password',
      });
      expect(refused.status).toBe(401);
      expect(await listening(storeUrl)).toBe(true);
    } finally {
      await demo.stop();
    }
    expect(await listening(storeUrl)).toBe(false);
    if (kind === 'ldap') expect(slapdRunningOn(storeUrl)).toBe(false);
  }, 60_000);
});

describe('oidc-bridge demo --legacy, on the command line', () => {
  it('names the kinds it runs when given another', async () => {
    const r = await runBin(['demo', '--legacy', 'mongodb']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--legacy must be one of sql, http, ldap, got mongodb.');
  });

  it('says what to install, or which other kind to run, where slapd is missing', () => {
    expect(() => requireSlapd(['/nonexistent/sbin/slapd'])).toThrow(
      "The LDAP legacy source needs OpenLDAP's slapd and ldap-utils (/nonexistent/sbin/slapd not found). Fix: apt-get install slapd ldap-utils, or run the demo with --legacy sql or --legacy http.",
    );
  });

  it('explains --legacy in --help', async () => {
    const r = await runBin(['demo', '--help']);
    expect(r.stdout).toContain('--legacy KIND');
    expect(r.stdout).toContain('apt-get install slapd ldap-utils');
  });
});
