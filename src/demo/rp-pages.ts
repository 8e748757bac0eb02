// The pages of the demo application (the relying party): the start page with the legacy
// users and their passwords, the result page that shows what one login did end to end, and
// short message pages. Plain functions over the `html` tag, styled by one nonce'd sheet.

import { html, SafeHtml } from './html.ts';
import type { Inspection } from './inspect.ts';
import type { DemoUser } from './legacy-db.ts';

/** What the demo's mail sink received, as its page shows it. */
export interface MailboxEntry {
  to: string[];
  subject: string;
  text: string;
  receivedAt: Date;
}

export interface PageLinks {
  bridge: string;
  targetImport: string;
}

const STYLE = `
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #f4f6f8; --accent: #0f766e; --link: #0b5cad;
  --ok: #116329; --ok-bg: #dafbe1; --warn: #6f4400; --warn-bg: #fff4c2; --bad: #a40e26; --bad-bg: #ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.top { background: #1b1f24; color: #fff; }
.top div { max-width: 64rem; margin: 0 auto; padding: .75rem 1.25rem; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
.top strong { font-size: 1.05rem; }
.tag { font-size: .8rem; border: 1px solid #8c959f; border-radius: 999px; padding: 0 .55rem; color: #e6e9ed; }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: .25rem 0 .5rem; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
p { margin: .25rem 0 .75rem; }
.lead { color: var(--muted); max-width: 46rem; }
.muted { color: var(--muted); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 1.25rem; margin: 1rem 0; min-width: 0; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 26rem), 1fr)); align-items: start; margin: 1rem 0; }
.grid > .card { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: center; margin: 1.25rem 0; }
.actions form { margin: 0; }
.button { display: inline-block; padding: .65rem 1.25rem; border-radius: 8px; background: var(--accent); color: #fff; font: inherit;
  font-weight: 600; text-decoration: none; border: 1px solid var(--accent); cursor: pointer; }
.button.secondary { background: #fff; color: var(--ink); border-color: #8c959f; }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: .45rem .5rem .45rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
tbody th { font-weight: 600; width: 40%; }
thead th { font-size: .85rem; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
tr:last-child > * { border-bottom: 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 8px; padding: .75rem; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .6rem; border-radius: 999px; font-weight: 600; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.wait { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.none { background: #eaeef2; color: var(--ink); }
.notice { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; }
.notice.bad { border-left-color: var(--bad); }
.notice p:last-child { margin-bottom: 0; }
.small { font-size: .875rem; }
.users td:first-child { font-weight: 600; }
.users .c-user { width: 36%; }
.users .c-password { width: 24%; }
.users .email { display: block; font-weight: 400; color: var(--muted); font-size: .875rem; }
footer { max-width: 64rem; margin: 0 auto; padding: 0 1.25rem 2rem; color: var(--muted); font-size: .875rem; }
@media (max-width: 40rem) {
  .users thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .users, .users tbody, .users tr, .users td { display: block; width: auto; }
  .users tr { padding: .6rem 0; border-bottom: 1px solid var(--line); }
  .users tr:last-child { border-bottom: 0; }
  .users td { border: 0; padding: .1rem 0; }
  .users td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
@media (max-width: 30rem) {
  main { padding: 1rem .9rem 2rem; } .card { padding: 1rem; } h1 { font-size: 1.45rem; }
  .kv th, .kv td { display: block; width: auto; padding-right: 0; }
  .kv th { border-bottom: 0; padding-bottom: 0; color: var(--muted); font-size: .875rem; }
}
`;

// A constant of this file, not input: inserted as it is (escaping would break its quotes).
const SHEET = new SafeHtml(STYLE);

function layout(nonce: string, title: string, body: SafeHtml, links: PageLinks): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · oidc-bridge demo</title>
<style nonce="${nonce}">${SHEET}</style>
</head>
<body>
<header class="top"><div><strong>Demo Shop</strong><span class="tag">the relying party · oidc-bridge demo</span></div></header>
<main>
${body}
</main>
<footer>
<p>Bridge (OpenID provider): <a href="${links.bridge}/.well-known/openid-configuration">${links.bridge}</a> ·
Reference target import API: <code>${links.targetImport}</code></p>
</footer>
</body>
</html>`.value;
}

export function startPage(
  nonce: string,
  opts: {
    users: DemoUser[];
    /** Which legacy store the demo runs. */
    legacySource: string;
    links: PageLinks;
    signedInAs?: string | undefined;
    notice?: string | undefined;
    /** E-mails the demo's SMTP sink received (password reset links). */
    mails?: number | undefined;
  },
): string {
  const body = html`
<h1>Log in with your old password</h1>
<p class="lead">This page is the application. <strong>Log in</strong> sends you to the bridge, which checks your
password against the legacy store, whatever it holds, creates your account on this first login and delivers you to the
target platform's import API. Then you come back here and see all of it.</p>
${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
${
  opts.signedInAs
    ? html`<p class="notice">You are signed in as <strong>${opts.signedInAs}</strong>. <a href="/me">See what the login did</a>.</p>`
    : ''
}
<div class="actions">
  <a class="button" href="/login">Log in</a>
  <a class="button secondary" href="/login?lang=tr" lang="tr">Türkçe giriş yap</a>
  <a href="/login?app=partner">Log in through a third-party app (asks for consent)</a>
</div>
${
  opts.mails === undefined
    ? ''
    : html`<p class="notice">Forgot a password? Use <strong>Forgot password?</strong> under the login form: the
e-mail goes to the demo's own mail server, and its <a href="/mailbox">mailbox</a> shows it here
(${opts.mails} e-mail${opts.mails === 1 ? '' : 's'} so far). A reset migrates a legacy user too.</p>`
}
<section class="card" aria-labelledby="users-heading">
  <h2 id="users-heading">Legacy users</h2>
  <p class="muted" id="legacy-source">Legacy store: <strong>${opts.legacySource}</strong>. It holds these users of the import
  guide's example <code>be_users</code> table. Log in with the username or the email.</p>
  <table class="users">
    <colgroup><col class="c-user"><col class="c-password"><col></colgroup>
    <thead><tr><th scope="col">User</th><th scope="col">Password</th><th scope="col">Stored as</th></tr></thead>
    <tbody>
      ${opts.users.map(
        (u) =>
          html`<tr><td>${u.username}<span class="email">${u.email}</span></td><td data-label="Password"><code>${u.password}</code></td><td data-label="Stored as">${u.scheme}</td></tr>`,
      )}
    </tbody>
  </table>
</section>`;
  return layout(nonce, 'Start', body, opts.links);
}

function when(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const TIME_CLAIMS = new Set(['iat', 'exp', 'auth_time', 'nbf', 'updated_at']);

function claimValue(name: string, value: unknown): SafeHtml {
  if (TIME_CLAIMS.has(name) && typeof value === 'number') {
    return html`${value} <span class="muted small">(${when(new Date(value * 1000))})</span>`;
  }
  if (typeof value === 'string') return html`${value}`;
  return html`<code>${JSON.stringify(value)}</code>`;
}

function claimsTable(label: string, idPrefix: string, claims: Record<string, unknown>): SafeHtml {
  return html`<table class="kv" aria-label="${label}"><tbody>${Object.entries(claims).map(
    ([k, v]) =>
      html`<tr><th scope="row"><code>${k}</code></th><td id="${idPrefix}-${k}">${claimValue(k, v)}</td></tr>`,
  )}</tbody></table>`;
}

const STATUS_TONE: Record<string, string> = {
  delivered: 'ok',
  pending: 'wait',
  skipped: 'none',
  failed: 'bad',
  conflict: 'bad',
  dead: 'bad',
};

function row(label: string, value: unknown, id?: string): SafeHtml {
  return html`<tr><th scope="row">${label}</th><td${id ? html` id="${id}"` : ''}>${value}</td></tr>`;
}

export function resultPage(
  nonce: string,
  opts: {
    claims: Record<string, unknown>;
    userinfo: Record<string, unknown>;
    inspection: Inspection;
    csrf: string;
    clientName: string;
    links: PageLinks;
  },
): string {
  const { claims, userinfo, inspection } = opts;
  const { account, delivery, targetUser } = inspection;
  const name =
    [userinfo.given_name ?? claims.given_name, userinfo.family_name ?? claims.family_name]
      .filter((v) => typeof v === 'string' && v !== '')
      .join(' ') || String(claims.sub);
  const status = delivery?.status ?? 'none';
  const body = html`
<h1>Signed in as ${name}</h1>
<p class="lead">${opts.clientName} received an ID token from the bridge and read the userinfo endpoint with the access
token. Below it, read from the bridge's store and from the reference target: what this login did to the account.</p>
<div class="grid">
  <section class="card" aria-labelledby="claims-heading">
    <h2 id="claims-heading">ID token claims</h2>
    ${claimsTable('ID token claims', 'claim', claims)}
  </section>
  <section class="card" aria-labelledby="userinfo-heading">
    <h2 id="userinfo-heading">Userinfo</h2>
    ${claimsTable('Userinfo', 'userinfo', userinfo)}
  </section>
  <section class="card" aria-labelledby="migration-heading">
    <h2 id="migration-heading">Migration</h2>
    <p class="muted small">The bridge's own account for you (table <code>accounts</code>).</p>
    ${
      account
        ? html`<table class="kv"><tbody>
      ${row('Account source', account.source, 'migration-source')}
      ${row('Legacy hash scheme', account.legacy_scheme ?? '—', 'legacy-scheme')}
      ${row('Legacy id', account.legacy_id ?? '—')}
      ${row('Migrated at', when(account.migrated_at), 'migrated-at')}
      ${row('Last login', when(account.last_login_at))}
      ${row('Password now stored as', 'argon2id (the bridge’s own hash)')}
    </tbody></table>`
        : html`<p>No account in the bridge store.</p>`
    }
  </section>
  <section class="card" aria-labelledby="delivery-heading">
    <h2 id="delivery-heading">Delivery to the target</h2>
    <p class="muted small">The delivery job (table <code>outbox</code>), and what the reference target holds.</p>
    ${
      delivery
        ? html`<table class="kv"><tbody>
      ${row('Status', html`<span class="badge ${STATUS_TONE[status] ?? 'none'}" id="delivery-status">${status}</span>`)}
      ${row('Attempts', delivery.attempts)}
      ${row('Last outcome', delivery.last_reason ?? '—')}
      ${row('Queued at', when(delivery.created_at))}
      ${row('Delivered at', when(delivery.delivered_at))}
      ${delivery.last_error ? row('Last error', delivery.last_error) : ''}
    </tbody></table>`
        : html`<p>No delivery job.</p>`
    }
    <h3>The target platform holds</h3>
    ${
      targetUser
        ? html`<p class="muted small">Its record, shown here without the password field${
            typeof targetUser.password_algorithm === 'string'
              ? html`: a salted ${targetUser.password_algorithm} of the password you typed, made by the bridge at login`
              : ''
          }.</p>
    <pre id="target-user" tabindex="0" aria-label="The target's record, without the password">${JSON.stringify(targetUser, null, 2)}</pre>`
        : html`<p id="target-user">Nothing yet.${status === 'pending' ? ' The delivery is still on its way: reload in a moment.' : ''}</p>`
    }
  </section>
</div>
<div class="actions">
  <a class="button secondary" href="/me">Reload</a>
  <form method="post" action="/logout">
    <input type="hidden" name="csrf" value="${opts.csrf}">
    <button type="submit" class="button">Log out</button>
  </form>
  <a href="/">Back to the start page</a>
</div>`;
  return layout(nonce, `Signed in as ${name}`, body, opts.links);
}

export function messagePage(
  nonce: string,
  opts: { title: string; message: string; detail?: string | undefined; links: PageLinks; bad?: boolean },
): string {
  const body = html`
<h1>${opts.title}</h1>
<div class="notice${opts.bad ? ' bad' : ''}" role="${opts.bad ? 'alert' : 'status'}">
  <p>${opts.message}</p>
  ${opts.detail ? html`<p class="muted small">${opts.detail}</p>` : ''}
</div>
<div class="actions"><a class="button" href="/">Back to the start page</a></div>`;
  return layout(nonce, opts.title, body, opts.links);
}

export function mailboxPage(nonce: string, opts: { mails: MailboxEntry[]; links: PageLinks }): string {
  const newest = [...opts.mails].reverse();
  const body = html`
<h1>Mailbox</h1>
<p class="lead">Every e-mail the bridge sent, as the demo's embedded SMTP server received it, newest first. In a
real deployment they go through your mail server (<code>mail:</code> in the configuration).</p>
${newest.length === 0 ? html`<p class="notice" role="status">No e-mail yet. Ask for a password reset from the login page.</p>` : ''}
${newest.map((m, i) => {
  const link = /https?:\/\/\S+\/reset\/[\w.-]+/.exec(m.text)?.[0];
  return html`<section class="card" aria-labelledby="mail-${i}">
  <h2 id="mail-${i}">${m.subject}</h2>
  <p class="muted small">To ${m.to.join(', ')} · ${when(m.receivedAt)}</p>
  ${link ? html`<div class="actions"><a class="button" href="${link}">Open the reset link</a></div>` : ''}
  <pre>${m.text}</pre>
</section>`;
})}
<div class="actions"><a class="button secondary" href="/mailbox">Refresh</a> <a href="/">Back to the start page</a></div>`;
  return layout(nonce, 'Mailbox', body, opts.links);
}
