// What the password reset tests share: a MariaDB legacy table of bcrypt users, the reference
// commerce target with the delivery worker, a real SMTP server the bridge sends to, a relying
// party on openid-client, and the steps of a reset as a browser takes them (the forgot link
// on the login page, the form, the link read out of the received e-mail, the new password).
import bcrypt from 'bcrypt';
import type * as oidc from 'openid-client';
import { type ReceivedMail, type SmtpSink, startSmtpSink } from '../../src/mail/sink.ts';
import { createMetrics } from '../../src/metrics.ts';
import { type DeliveryWorker, startDeliveryWorker } from '../../src/migration/worker.ts';
import {
  createReferenceTarget,
  type ReferenceTarget,
  type RunningTarget,
} from '../../src/target/commerce-import/reference.ts';
import { loadBeUsers } from '../legacy/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { formOf, type Page } from '../support/browser.ts';
import { createMariaDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, type LoginRun, REDIRECT_URI, relyingParty } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.ts';

export interface LegacyUser {
  id: number;
  username: string;
  email: string;
  password: string;
  active?: boolean;
}

export interface ResetWorld {
  t: TestBridge;
  sink: SmtpSink;
  target: ReferenceTarget;
  running: RunningTarget;
  worker: DeliveryWorker;
  rp: oidc.Configuration;
  legacyDb: TestDatabase;
  /** The TCP proxy the bridge reaches the legacy database through, with `viaProxy`. */
  proxy: TcpProxy | undefined;
  close(): Promise<void>;
}

const SECRET = 'reset-client-secret';

export async function startResetWorld(
  users: LegacyUser[],
  extra: Record<string, unknown> = {},
  opts: { viaProxy?: boolean } = {},
): Promise<ResetWorld> {
  const legacyDb = await createMariaDatabase();
  const values: string[] = [];
  for (const u of users) {
    registerSecret('password', u.password);
    const hash = (await bcrypt.hash(u.password, 4)).replace('$2b$', '$2y$');
    const first = u.username[0]!.toUpperCase() + u.username.slice(1);
    values.push(
      `(${u.id}, '${first}', 'Tester', '${u.username}', '${u.email}', '${hash}', 'F', '1990-05-17 00:00:00', 1, NULL, NULL, NULL, ${u.active === false ? 9 : 0}, '2019-03-04 05:06:07', NULL)`,
    );
  }
  await loadBeUsers(
    legacyDb.url,
    `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, birthday, accept_notifications, accept_sharing, accept_personal_data, remember_token, is_logged, created_at, updated_at) VALUES ${values.join(',')}`,
  );
  const proxy = opts.viaProxy ? await tcpProxy(Number(new URL(legacyDb.url).port || 3306)) : undefined;
  const legacyUrl = new URL(legacyDb.url);
  if (proxy) legacyUrl.port = String(proxy.port);
  const sink = await startSmtpSink();
  const target = createReferenceTarget();
  const running = await target.listen(0, '127.0.0.1');
  const t = await startTestBridge({
    // is_logged = 9 stands for a disabled legacy user here: login's `where` leaves them out.
    legacy: { connection: legacyUrl.toString(), table: 'be_users', where: { is_logged: 0 } },
    target: { type: 'http', url: running.importUrl, password_algorithm: 'sha256', timeout_ms: 2000 },
    worker: { base_delay_ms: 50, max_delay_ms: 200, poll_interval_ms: 50 },
    mail: {
      host: '127.0.0.1',
      port: sink.port,
      security: 'none',
      from: 'Shop <no-reply@shop.example>',
      reply_to: 'help@shop.example',
      base_delay_ms: 100,
      max_delay_ms: 300,
      poll_interval_ms: 50,
      timeout_ms: 2000,
    },
    ui: { product_name: 'Shop' },
    ...extra,
  });
  const worker = startDeliveryWorker({ ...t.bridge, metrics: createMetrics({ defaultMetrics: false }) });
  await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  const rp = await relyingParty(t.url, 'shop', SECRET);
  return {
    t,
    sink,
    target,
    running,
    worker,
    rp,
    legacyDb,
    proxy,
    async close() {
      await worker.stop();
      await t.close();
      await proxy?.close();
      await sink.close().catch(() => {});
      await running.close();
      await legacyDb.drop();
    },
  };
}

/** The forgot page, reached the way a user does: the link under the login form. */
export async function openForgot(run: LoginRun): Promise<Page> {
  const href = /<a href="([^"]*\/forgot)"/.exec(run.loginPage.html)?.[1];
  if (!href) throw new Error('the login page has no "Forgot password?" link');
  return run.browser.get(new URL(href, run.loginPage.url).toString());
}

export async function requestReset(
  world: ResetWorld,
  identifier: string,
  params: Record<string, string> = {},
) {
  const run = await beginLogin(world.rp, params);
  const forgot = await openForgot(run);
  const form = formOf(forgot, /\/forgot$/);
  const started = performance.now();
  const sent = await run.browser.post(form.action, { ...form.fields, identifier });
  const ms = performance.now() - started;
  await world.t.bridge.passwordReset!.settled();
  return { run, forgot, sent, ms };
}

/** The reset link of the e-mail to `to` that follows the first `after` of them. */
export async function linkFrom(
  world: ResetWorld,
  to: string,
  after: number,
): Promise<{ mail: ReceivedMail; link: string }> {
  const mail = await world.sink.waitFor(
    (m) => m.to.includes(to) && mailsToList(world, to).indexOf(m) >= after,
  );
  const link = /https?:\/\/\S+\/reset\/[A-Za-z0-9_.-]+/.exec(mail.text)?.[0];
  if (!link) throw new Error('the e-mail holds no reset link');
  registerSecret('reset_link', link);
  registerSecret('token', link.split('/reset/')[1]!);
  return { mail, link };
}

function mailsToList(world: ResetWorld, to: string): ReceivedMail[] {
  return world.sink.received.filter((m) => m.to.includes(to));
}

export function mailsTo(world: ResetWorld, to: string): number {
  return mailsToList(world, to).length;
}

/** Opens the link in the browser of `run` and sets the new password twice. */
export async function setNewPassword(run: LoginRun, link: string, password: string, confirm = password) {
  const page = await run.browser.get(link);
  const form = formOf(page, /\/reset\//);
  return run.browser.post(form.action, { ...form.fields, password, confirm });
}
