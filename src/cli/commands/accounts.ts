// accounts …: the bridge's own accounts during coexistence and after. Each sub-command is
// one entry of `accountCommands`, built on `withAccount` (the store, and the account named
// by its sub or by a login name), so a new one is one more entry here.
//   sessions ID [--revoke SESSION | --revoke-all]   browser sessions; ending one sends
//                                                   back-channel logout tokens
//   grants ID [--revoke CLIENT]                     remembered consent; revoking ends the
//                                                   client's refresh tokens
//   second-factors ID [--reset]                     authenticator app, recovery codes, passkeys
import { NotFoundError, UsageError } from '../../errors.ts';
import { createSecondFactorQueries } from '../../mfa/queries.ts';
import { type AccountRow, createAccounts } from '../../migration/accounts.ts';
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

export const accountCommands: Command[] = [
  {
    name: 'accounts sessions',
    summary: "list an account's browser sessions; end one or all (back-channel logout)",
    usage: sessionsUsage,
    options: { revoke: { type: 'string' }, 'revoke-all': { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: ['ID'],
    run: withAccount(sessionsUsage, async ({ store, audit, account, values, io }) => {
      if (values.revoke !== undefined && values['revoke-all'])
        throw new UsageError('--revoke and --revoke-all exclude each other.', sessionsUsage);
      const sessions = createSessions(store.db, createPayloads(store.db));
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
