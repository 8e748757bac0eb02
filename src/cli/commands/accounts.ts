// accounts …: the bridge's own accounts during coexistence and after. Each sub-command is
// one entry of `accountCommands`, built on `withAccount` (the store, and the account named
// by its sub or by a login name), so a new one is one more entry here.
//   sessions ID [--revoke SESSION | --revoke-all]   browser sessions; ending one sends
//                                                   back-channel logout tokens
//   grants ID [--revoke CLIENT]                     remembered consent; revoking ends the
//                                                   client's refresh tokens
//   second-factors ID [--reset]                     authenticator app, recovery codes, passkeys
//   list, show ID, disable ID, enable ID, delete ID  the accounts themselves; disable and
//                                                   delete end sessions, grants and tokens
//   sync [--dry-run]                                the coexistence sweep, once
import { NotFoundError, UsageError } from '../../errors.ts';
import { createLegacySource } from '../../legacy/source.ts';
import { silentLogger } from '../../logger.ts';
import { createSecondFactorQueries } from '../../mfa/queries.ts';
import { type AccountStatus, createAccountStatus } from '../../migration/account-status.ts';
import { type AccountRow, createAccounts } from '../../migration/accounts.ts';
import { createLegacySync } from '../../migration/legacy-sync.ts';
import { createConsents } from '../../sessions/consents.ts';
import { createPayloads } from '../../sessions/payloads.ts';
import { createSessions } from '../../sessions/sessions.ts';
import { type StoreContext, table, withStore } from '../context.ts';
import type { Command, Io } from '../framework.ts';

/** The account an operator names: its sub, else one of its login names. */
export async function findAccount(ctx: StoreContext, id: string): Promise<AccountRow> {
  const accounts = createAccounts(ctx.store.db);
  const account = (await accounts.findBySub(id)) ?? (await accounts.findByIdentifier(id));
  if (!account) {
    throw new NotFoundError(
      `No account ${JSON.stringify(id)} in the bridge store (by sub or login name). Fix: check the id; a legacy user who never signed in has no account yet.`,
    );
  }
  return account;
}

/** Runs `fn` with the store open and the account of the command's first positional. */
export function withAccount(
  usage: string,
  fn: (c: StoreContext & { account: AccountRow; values: Record<string, unknown>; io: Io }) => Promise<number>,
): Command['run'] {
  return async ({ values, positionals }, io) => {
    const id = positionals[0];
    if (!id) throw new UsageError('The account ID (its sub or a login name) is required.', usage);
    return withStore(values, io, async (ctx) =>
      fn({ ...ctx, account: await findAccount(ctx, id), values, io }),
    );
  };
}

const sessionsUsage = `Usage: oidc-bridge accounts sessions ID [--revoke SESSION | --revoke-all] [--json]

  Lists the browser sessions of an account (ID: its sub or a login name).
  --revoke SESSION   end one session (its id as listed): every relying party of it that
                     registered a back-channel logout URI is sent a logout token, and its
                     grants end with their refresh tokens
  --revoke-all       end every session of the account`;

const grantsUsage = `Usage: oidc-bridge accounts grants ID [--revoke CLIENT] [--json]

  Lists the consent an account gave, per relying party (ID: its sub or a login name).
  --revoke CLIENT    forget the consent given to CLIENT and end its grants and refresh
                     tokens; the next sign-in there asks again`;

const factorsUsage = `Usage: oidc-bridge accounts second-factors ID [--reset] [--json]

  Shows the second factors of an account (ID: its sub or a login name).
  --reset            remove its authenticator app, recovery codes and passkeys (a user who
                     lost them all); it signs in with its password until it sets one up again`;

const listUsage = `Usage: oidc-bridge accounts list [--status active|disabled] [--after SUB] [--limit N] [--json]

  Lists the bridge's accounts in sub order, at most --limit (default 50, up to 1000) at a
  time; --after SUB gives the next page (the last sub listed).`;

const showUsage = `Usage: oidc-bridge accounts show ID [--json]

  Shows one account (ID: its sub or a login name): its legacy id, login names and their case
  rule, claims, dates, whether it is disabled and by whom, and its delivery jobs.`;

const statusText = {
  disable:
    'Disables an account (ID: its sub or a login name): it cannot log in, and its browser\n  sessions, grants, access and refresh tokens end now.',
  enable: 'Enables a disabled account again (ID: its sub or a login name).',
  delete:
    'Deletes an account (ID: its sub or a login name) with its login names, delivery jobs,\n  second factors and consent, after ending its sessions, grants and tokens. A legacy user\n  whose row still passes legacy.where becomes a new account at their next login: use\n  disable to keep them out.',
};

const statusUsage = (verb: 'disable' | 'enable' | 'delete') =>
  `Usage: oidc-bridge accounts ${verb} ID [--reason TEXT] [--json]

  ${statusText[verb]}
  --reason TEXT   kept in the audit trail`;

const syncUsage = `Usage: oidc-bridge accounts sync [--dry-run] [--json]

  The coexistence sweep, once (the worker runs it every
  legacy.coexistence.sweep_interval_seconds): every migrated account whose legacy row is gone
  or no longer passes legacy.where is disabled, its sessions and tokens revoked; one the
  sweep disabled is enabled again when its row is back. Exits 1 when the legacy database
  could not be reached before the end (nobody is disabled for an outage).
  --dry-run   print what would change, change nothing`;

function accountStatusOf(store: StoreContext['store'], audit: StoreContext['audit']): AccountStatus {
  // With the Redis store, sessions and access tokens are ended there too.
  const { db, shortLived } = store;
  return createAccountStatus({ db, audit, sessions: createSessions(db, createPayloads(db, shortLived)) });
}

function statusCommand(verb: 'disable' | 'enable' | 'delete', summary: string): Command {
  const usage = statusUsage(verb);
  return {
    name: `accounts ${verb}`,
    summary,
    usage,
    options: { reason: { type: 'string' }, json: { type: 'boolean' } },
    positionals: ['ID'],
    run: withAccount(usage, async ({ store, audit, account, values, io }) => {
      const status = accountStatusOf(store, audit);
      const by = { actor: 'cli', reason: values.reason as string | undefined };
      if (verb === 'delete') {
        const r = await status.remove(account.sub, by);
        if (values.json) io.out(JSON.stringify(r));
        else io.out(`Deleted account ${account.sub}; ${revokedText(r.revoked)}.`);
        return 0;
      }
      const r = await status[verb](account.sub, by);
      if (values.json) io.out(JSON.stringify(r));
      else if (!r.changed) io.out(`Account ${account.sub} already was ${verb}d.`);
      else
        io.out(
          `${verb === 'disable' ? 'Disabled' : 'Enabled'} account ${account.sub}${r.revoked ? `; ${revokedText(r.revoked)}` : ''}.`,
        );
      return 0;
    }),
  };
}

function revokedText(r: { sessions: number; notices: number; grants: number } | undefined): string {
  if (!r) return 'nothing to revoke';
  return `ended ${r.sessions} session(s) and ${r.grants} grant(s) with their tokens, ${r.notices} logout token(s) queued`;
}

export const accountCommands: Command[] = [
  {
    name: 'accounts list',
    summary: "list the bridge's accounts (a page at a time)",
    usage: listUsage,
    options: {
      status: { type: 'string' },
      after: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run({ values }, io) {
      const status = values.status as string | undefined;
      if (status !== undefined && status !== 'active' && status !== 'disabled')
        throw new UsageError(
          `--status must be active or disabled, not ${JSON.stringify(status)}.`,
          listUsage,
        );
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new UsageError('--limit must be a whole number from 1 to 1000.', listUsage);
      return withStore(values, io, async ({ store }) => {
        const rows = await createAccounts(store.db).list({
          status,
          after: values.after as string | undefined,
          limit,
        });
        if (values.json) io.out(JSON.stringify(rows));
        else if (rows.length === 0) io.out('No accounts.');
        else
          io.out(
            table(rows, [
              'sub',
              'legacy_id',
              'source',
              'migrated_at',
              'last_login_at',
              'disabled_at',
              'disabled_by',
            ]),
          );
        return 0;
      });
    },
  },
  {
    name: 'accounts show',
    summary: 'show one account: login names, claims, dates, status, delivery jobs',
    usage: showUsage,
    options: { json: { type: 'boolean' } },
    positionals: ['ID'],
    run: withAccount(showUsage, async ({ store, account, values, io }) => {
      const identifiers = await createAccounts(store.db).identifiersOf(account.sub);
      const jobs = await store
        .db('outbox')
        .where({ sub: account.sub })
        .orderBy('id')
        .select('kind', 'status', 'attempts', 'last_error', 'updated_at');
      const shown = {
        sub: account.sub,
        legacy_id: account.legacy_id,
        source: account.source,
        login_names: identifiers.map((i) => ({ name: i.identifier, match: i.exact ? 'exact' : 'any case' })),
        claims: account.claims,
        has_password: account.password_hash !== null,
        legacy_scheme: account.legacy_scheme,
        migrated_at: account.migrated_at,
        imported_at: account.imported_at,
        last_login_at: account.last_login_at,
        disabled_at: account.disabled_at ?? null,
        disabled_by: account.disabled_by ?? null,
        deliveries: jobs,
      };
      if (values.json) {
        io.out(JSON.stringify(shown));
        return 0;
      }
      for (const [key, value] of Object.entries(shown)) {
        if (key === 'deliveries' || key === 'login_names' || key === 'claims') continue;
        io.out(`${`${key}:`.padEnd(15)}${value instanceof Date ? value.toISOString() : String(value ?? '')}`);
      }
      io.out(
        `${'login names:'.padEnd(15)}${shown.login_names.map((n) => `${n.name} (${n.match})`).join(', ')}`,
      );
      io.out(`${'claims:'.padEnd(15)}${JSON.stringify(account.claims)}`);
      if (jobs.length) io.out(`\n${table(jobs, ['kind', 'status', 'attempts', 'last_error', 'updated_at'])}`);
      return 0;
    }),
  },
  statusCommand('disable', 'disable an account (ends its sessions, grants and tokens)'),
  statusCommand('enable', 'enable a disabled account'),
  statusCommand('delete', 'delete an account with its sessions, grants and tokens'),
  {
    name: 'accounts sync',
    summary: 'disable accounts whose legacy row is gone or filtered out (the coexistence sweep)',
    usage: syncUsage,
    options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
    async run({ values }, io) {
      return withStore(values, io, async ({ config, store, audit }) => {
        if (!config.legacy) {
          io.out('No legacy database is configured (cut-over is done): nothing to sync.');
          return 0;
        }
        const legacy = createLegacySource(config.legacy, { logger: silentLogger });
        try {
          const report = await createLegacySync({
            db: store.db,
            legacy,
            status: accountStatusOf(store, audit),
            logger: silentLogger,
            pageSize: config.legacy.coexistence.sweep_page,
          }).run({ dryRun: values['dry-run'] === true });
          if (values.json) io.out(JSON.stringify(report));
          else {
            const would = values['dry-run'] ? 'would be ' : '';
            io.out(`Checked ${report.checked} migrated account(s) against ${legacy.label}.`);
            io.out(
              `Disabled: ${report.disabled.length} ${would}(legacy row gone or filtered out)${report.disabled.length ? `: ${report.disabled.join(', ')}` : ''}`,
            );
            io.out(
              `Enabled:  ${report.enabled.length} ${would}(legacy row back)${report.enabled.length ? `: ${report.enabled.join(', ')}` : ''}`,
            );
            if (report.unsupported) io.err(report.unsupported);
            else if (!report.complete)
              io.err(
                'The legacy database became unreachable: the rest was not checked. Run accounts sync again once it is back.',
              );
          }
          return report.complete ? 0 : 1;
        } finally {
          await legacy.close();
        }
      });
    },
  },
  {
    name: 'accounts sessions',
    summary: "list an account's browser sessions; end one or all (back-channel logout)",
    usage: sessionsUsage,
    options: { revoke: { type: 'string' }, 'revoke-all': { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: ['ID'],
    run: withAccount(sessionsUsage, async ({ store, audit, account, values, io }) => {
      if (values.revoke !== undefined && values['revoke-all'])
        throw new UsageError('--revoke and --revoke-all exclude each other.', sessionsUsage);
      const sessions = createSessions(store.db, createPayloads(store.db, store.shortLived));
      if (values.revoke !== undefined || values['revoke-all']) {
        const ended = values['revoke-all']
          ? await sessions.revokeAll(account.sub)
          : await sessions.revoke(account.sub, String(values.revoke));
        if (!ended) {
          throw new NotFoundError(
            `Account ${account.sub} has no session ${JSON.stringify(values.revoke)}. Fix: see "accounts sessions ${account.sub}".`,
          );
        }
        await audit.record({
          type: 'admin.sessions_revoked',
          outcome: 'success',
          actor: 'cli',
          sub: account.sub,
          details: ended,
        });
        if (values.json) io.out(JSON.stringify(ended));
        else
          io.out(
            `Ended ${ended.sessions} session(s) of ${account.sub}; ${ended.notices} logout token(s) queued for relying parties.`,
          );
        return 0;
      }
      const list = await sessions.list(account.sub);
      if (values.json) io.out(JSON.stringify(list));
      else if (list.length === 0) io.out(`Account ${account.sub} has no active session.`);
      else
        io.out(
          table(list as unknown as Array<Record<string, unknown>>, [
            'session',
            'signed_in_at',
            'expires_at',
            'amr',
            'clients',
          ]),
        );
      return 0;
    }),
  },
  {
    name: 'accounts grants',
    summary: 'list the consent an account gave; revoke one (ends its refresh tokens)',
    usage: grantsUsage,
    options: { revoke: { type: 'string' }, json: { type: 'boolean' } },
    positionals: ['ID'],
    run: withAccount(grantsUsage, async ({ config, store, audit, account, values, io }) => {
      const payloads = createPayloads(store.db, store.shortLived);
      const consents = createConsents(store.db, payloads, config.oidc.ttl.grant);
      if (values.revoke !== undefined) {
        const clientId = String(values.revoke);
        const r = await consents.revoke(account.sub, clientId);
        if (!r.forgotten && r.grants === 0) {
          throw new NotFoundError(
            `Account ${account.sub} has no grant for client ${JSON.stringify(clientId)}. Fix: see "accounts grants ${account.sub}".`,
          );
        }
        await audit.record({
          type: 'admin.grant_revoked',
          outcome: 'success',
          actor: 'cli',
          sub: account.sub,
          clientId,
          details: r,
        });
        if (values.json) io.out(JSON.stringify({ client_id: clientId, ...r }));
        else
          io.out(
            `Revoked the consent of ${account.sub} for ${clientId}; ended ${r.grants} grant(s) and their tokens.`,
          );
        return 0;
      }
      const live = await payloads.grants(account.sub);
      const list = (await consents.list(account.sub)).map((c) => ({
        ...c,
        active_grants: live.filter((g) => g.clientId === c.client_id).length,
      }));
      if (values.json) io.out(JSON.stringify(list));
      else if (list.length === 0) io.out(`Account ${account.sub} has given no consent.`);
      else io.out(table(list, ['client_id', 'scope', 'active_grants', 'updated_at', 'expires_at']));
      return 0;
    }),
  },
  {
    name: 'accounts second-factors',
    summary: "show an account's second factors; reset them",
    usage: factorsUsage,
    options: { reset: { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: ['ID'],
    run: withAccount(factorsUsage, async ({ store, audit, account, values, io }) => {
      const queries = createSecondFactorQueries(store.db);
      if (values.reset) {
        await queries.removeAll(account.sub);
        await audit.record({
          type: 'admin.second_factors_reset',
          outcome: 'success',
          actor: 'cli',
          sub: account.sub,
        });
        io.out(`Removed the second factors of ${account.sub}.`);
        return 0;
      }
      const row = await queries.find(account.sub);
      const summary = {
        sub: account.sub,
        authenticator_app: row?.totp_secret ? (row.totp_source ?? 'yes') : 'none',
        authenticator_app_since: row?.totp_secret ? row.totp_added_at : null,
        recovery_codes_left: await queries.recoveryCodesLeft(account.sub),
        passkeys: (await queries.passkeys(account.sub)).map((p) => ({
          created_at: p.created_at,
          last_used_at: p.last_used_at,
          device_type: p.device_type,
          backed_up: p.backed_up,
        })),
      };
      if (values.json) io.out(JSON.stringify(summary));
      else {
        io.out(`authenticator app:   ${summary.authenticator_app}`);
        io.out(`recovery codes left: ${summary.recovery_codes_left}`);
        io.out(`passkeys:            ${summary.passkeys.length}`);
        if (summary.passkeys.length)
          io.out(
            table(summary.passkeys as Array<Record<string, unknown>>, [
              'created_at',
              'last_used_at',
              'device_type',
              'backed_up',
            ]),
          );
      }
      return 0;
    }),
  },
];
