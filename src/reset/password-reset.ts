// Password reset by e-mail, the library behind the forgot and reset pages. A request finds
// the user (a bridge account first, then the legacy table under login's own rules), voids
// their older links and queues an e-mail with a new one; it runs after the page has been
// answered, so the answer is the same page at the same time whoever was asked for. Using a
// link sets the new password in one transaction: a legacy user is migrated then and there
// (account, delivery job with the new password's form), a migrated user gets a new hash and
// a password update for the target; the link is spent, and the reset is audited.

import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { ThrottledError } from '../errors.ts';
import { hashBridgePassword } from '../hashing/bridge-hash.ts';
import type { LegacySource } from '../legacy/source.ts';
import type { Logger } from '../logger.ts';
import { enqueueMail, wakeMailDispatchers } from '../mail/queue.ts';
import type { MailTemplates } from '../mail/templates.ts';
import type { AccountRow, Accounts } from '../migration/accounts.ts';
import { legacyAccountFields, legacyFingerprint } from '../migration/login.ts';
import { enqueueDelivery, enqueuePasswordChange, notifyOutbox, sealDelivery } from '../migration/outbox.ts';
import { currentPayloadScope } from '../oidc/payload-scope.ts';
import type { Audit } from '../security/audit.ts';
import { storeLimiter } from '../security/guard.ts';
import { maskEmail } from '../security/mask.ts';
import type { PasswordPolicy, PolicyProblem } from '../security/password-policy.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../store/db.ts';
import type { TargetFormat } from '../target/types.ts';
import type { Locale } from '../ui/i18n.ts';
import { findForReset, type LegacyResetUser, loadForReset } from './legacy-lookup.ts';
import { newResetToken, parseResetToken, tokenDigest, tokenMatches } from './tokens.ts';

export interface ResetRequest {
  identifier: string;
  ip?: string | undefined;
  locale: Locale;
  /** The sign-in the request came from, continued after the reset while it lives. */
  interactionUid?: string | undefined;
  /** Where "back to the application" points once that sign-in is gone. */
  returnTo?: string | undefined;
}

export type LinkState = 'valid' | 'invalid' | 'expired' | 'used' | 'superseded';

export interface ResetRow {
  id: string;
  digest: string;
  subject_kind: 'account' | 'legacy';
  subject: string;
  interaction_uid: string | null;
  return_to: string | null;
  locale: string;
  expires_at: Date;
  used_at: Date | null;
  voided_at: Date | null;
}

export type ResetOutcome =
  | { ok: true; sub: string; interactionUid: string | null; returnTo: string | null; migrated: boolean }
  | { ok: false; state: Exclude<LinkState, 'valid'> }
  | { ok: false; state: 'policy'; problems: PolicyProblem[] };

export interface PasswordResetDeps {
  config: Config;
  store: Pick<Store, 'db' | 'kind'>;
  accounts: Accounts;
  legacy: LegacySource | undefined;
  audit: Audit;
  logger: Logger;
  box: SecretBox;
  target: TargetFormat;
  policy: PasswordPolicy;
  templates: MailTemplates;
  /** The keys of the link digest (the store's cookie keys): any of them verifies. */
  keys: () => string[];
  /** Ends the account's sessions and refresh tokens (sessions.revokeAll). */
  revokeAll: (sub: string) => Promise<unknown>;
  /** Runs a legacy lookup within login's concurrency cap on the legacy database. */
  legacySlot?: <T>(fn: () => Promise<T>) => Promise<T>;
}

const HOUR = 3600;

function counterKey(kind: string, value: string): string {
  return createHash('sha256').update(`oidc-bridge:password-reset:${kind}\0${value}`).digest('base64url');
}

/** The subject a request found: a bridge account, or a legacy user not yet migrated. */
type Found =
  | { kind: 'account'; account: AccountRow; email: string | undefined }
  | { kind: 'legacy'; user: LegacyResetUser; email: string | undefined };

export function createPasswordReset(deps: PasswordResetDeps) {
  const { config, accounts, legacy, audit, logger, box, target, policy, templates } = deps;
  const db = deps.store.db;
  const cfg = config.password_reset;
  const log = logger.child({ component: 'password-reset' });
  const limit = (name: string, points: number): RateLimiterAbstract =>
    storeLimiter(deps.store, `reset_${name}`, points, HOUR);
  const perIdentifier = limit('identifier', cfg.per_identifier_per_hour);
  const perIp = limit('ip', cfg.per_ip_per_hour);
  const perEmail = limit('email', cfg.per_email_per_hour);
  const inFlight = new Set<Promise<void>>();

  async function consume(limiter: RateLimiterAbstract, key: string): Promise<number | undefined> {
    try {
      await limiter.consume(key);
      return undefined;
    } catch (res) {
      if (res instanceof Error) throw res;
      return Math.max(1, Math.ceil(((res as { msBeforeNext?: number }).msBeforeNext ?? 1000) / 1000));
    }
  }

  async function find(identifier: string): Promise<Found | undefined> {
    const account = await accounts.findByIdentifier(identifier);
    if (account) return { kind: 'account', account, email: emailOf(account.claims) };
    if (!legacy) return undefined;
    const slot = deps.legacySlot ?? (<T>(fn: () => Promise<T>) => fn());
    const user = await slot(() => findForReset(legacy, identifier));
    if (!user) return undefined;
    // Migrated under a uuid sub, or by an identifier the account does not list.
    const migrated = await accounts.findByLegacyId(user.legacyId);
    if (migrated) return { kind: 'account', account: migrated, email: emailOf(migrated.claims) };
    return { kind: 'legacy', user, email: user.email };
  }

  function linkFor(uid: string | undefined, token: string): string {
    const base = config.issuer.replace(/\/$/, '');
    return `${base}/interaction/${uid ? encodeURIComponent(uid) : 'none'}/reset/${token}`;
  }

  async function process(r: ResetRequest): Promise<void> {
    const found = await find(r.identifier);
    const fail = (reason: string, sub?: string) =>
      audit.record({
        type: 'password_reset_requested',
        outcome: 'failure',
        reason,
        identifier: r.identifier,
        ip: r.ip,
        sub,
      });
    if (!found) return fail('unknown_user');
    const sub = found.kind === 'account' ? found.account.sub : undefined;
    if (found.kind === 'account' && found.account.disabled_at) return fail('disabled', sub);
    if (!found.email) return fail('no_email', sub);
    const emailWait = await consume(perEmail, counterKey('email', found.email.toLowerCase()));
    if (emailWait !== undefined) return fail('throttled_email', sub);
    const token = newResetToken();
    const subject =
      found.kind === 'account'
        ? { subject_kind: 'account', subject: found.account.sub }
        : { subject_kind: 'legacy', subject: found.user.legacyId };
    const claims = found.kind === 'account' ? found.account.claims : legacy!.mapClaims(found.user.row);
    const mail = await templates.render('password-reset', r.locale, 'mail_reset_subject', {
      name: typeof claims.given_name === 'string' ? claims.given_name : undefined,
      link: linkFor(r.interactionUid, token.value),
      minutes: Math.round(cfg.token_ttl_seconds / 60),
    });
    await db.transaction(async (trx) => {
      // A newer request voids every older link of the same user.
      await trx('password_resets')
        .where(subject)
        .whereNull('used_at')
        .whereNull('voided_at')
        .update({ voided_at: trx.fn.now() });
      await trx('password_resets').insert({
        id: token.selector,
        digest: tokenDigest(deps.keys()[0]!, token.secret),
        ...subject,
        interaction_uid: r.interactionUid ?? null,
        return_to: r.returnTo ?? null,
        locale: r.locale,
        expires_at: new Date(Date.now() + cfg.token_ttl_seconds * 1000),
      });
      await enqueueMail(trx, box, 'password_reset', { to: found.email!, ...mail });
      await audit.record(
        {
          type: 'password_reset_requested',
          outcome: 'success',
          identifier: r.identifier,
          ip: r.ip,
          sub,
          details: {
            email: maskEmail(found.email!),
            ...(found.kind === 'legacy' ? { legacy_id: found.user.legacyId } : {}),
          },
        },
        trx,
      );
    });
    wakeMailDispatchers();
  }

  async function lookup(tokenValue: unknown): Promise<{ state: LinkState; row?: ResetRow }> {
    const token = parseResetToken(tokenValue);
    if (!token) return { state: 'invalid' };
    const row = (await db('password_resets').where({ id: token.selector }).first()) as ResetRow | undefined;
    if (!row || !tokenMatches(deps.keys(), token.secret, row.digest)) return { state: 'invalid' };
    if (row.used_at) return { state: 'used', row };
    if (row.voided_at) return { state: 'superseded', row };
    if (new Date(row.expires_at).getTime() <= Date.now()) return { state: 'expired', row };
    return { state: 'valid', row };
  }

  /** The words a new password must not lean on: the user's own identifiers and names. */
  function userInputs(claims: Record<string, unknown>, identifiers: string[]): string[] {
    const words = [...identifiers];
    for (const k of ['email', 'given_name', 'family_name', 'preferred_username', 'name']) {
      if (typeof claims[k] === 'string') words.push(claims[k] as string);
    }
    const email = emailOf(claims);
    if (email) words.push(email.split('@')[0]!);
    return words;
  }

  async function spend(trx: Knex.Transaction, id: string): Promise<boolean> {
    const n = await trx('password_resets')
      .where({ id })
      .whereNull('used_at')
      .whereNull('voided_at')
      .where('expires_at', '>', trx.fn.now())
      .update({ used_at: trx.fn.now() });
    return Number(n) === 1;
  }

  async function replaceHash(
    trx: Knex.Transaction,
    account: AccountRow,
    passwordHash: string,
    password: string,
  ): Promise<void> {
    await trx('accounts')
      .where({ sub: account.sub })
      .update({
        password_hash: passwordHash,
        claims: JSON.stringify({ ...account.claims, email_verified: true }),
        password_change_prompt: false,
        ...(account.migrated_at === null && account.source === 'legacy' ? { migrated_at: trx.fn.now() } : {}),
        updated_at: trx.fn.now(),
      });
    if (target.updates) {
      const form = await target.passwordForm(password);
      await enqueuePasswordChange(trx, {
        sub: account.sub,
        payload: { legacy_id: account.legacy_id },
        secret: form === null ? null : box.seal(form),
      });
    }
  }

  return {
    /**
     * Throws ThrottledError when the identifier or the address asked too often; otherwise
     * returns at once, the work going on behind the answer.
     */
    async request(r: ResetRequest): Promise<void> {
      const waits = await Promise.all([
        consume(perIdentifier, counterKey('identifier', r.identifier.normalize('NFC').trim().toLowerCase())),
        consume(perIp, counterKey('ip', r.ip ?? 'unknown')),
      ]);
      const wait = Math.max(...waits.map((w) => w ?? 0));
      if (wait > 0) throw new ThrottledError(wait);
      const work = process(r).catch((err: Error & { code?: string }) => {
        // The code only: a driver's message may quote what was looked up.
        log.warn({ errorCode: err.code ?? err.name }, 'reset request could not be completed');
      });
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    },

    /** Resolves once the requests answered so far have been processed (tests, shutdown). */
    async settled(): Promise<void> {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },

    /** What a link is (valid, or why not) and the language it was asked for in. */
    async state(tokenValue: unknown): Promise<{ state: LinkState; locale: string | undefined }> {
      const { state, row } = await lookup(tokenValue);
      return { state, locale: row?.locale };
    },

    async complete(tokenValue: unknown, password: string, ip?: string): Promise<ResetOutcome> {
      const found = await lookup(tokenValue);
      if (found.state !== 'valid' || !found.row)
        return { ok: false, state: found.state as Exclude<LinkState, 'valid'> };
      const row = found.row;
      const account: AccountRow | undefined =
        row.subject_kind === 'account'
          ? await accounts.findBySub(row.subject)
          : await accounts.findByLegacyId(row.subject);
      let legacyUser: LegacyResetUser | undefined;
      if (!account) {
        if (!legacy) return { ok: false, state: 'invalid' };
        legacyUser = await loadForReset(legacy, row.subject);
        if (!legacyUser) return { ok: false, state: 'invalid' };
      }
      if (account?.disabled_at) return { ok: false, state: 'invalid' };
      const fields = legacyUser ? legacyAccountFields(legacyUser.row, config.legacy, legacy) : undefined;
      const claims = account?.claims ?? fields!.claims;
      const identifiers = fields?.identifiers ?? [];
      const problems = await policy.problems(
        password,
        userInputs(
          claims,
          identifiers.map((k) => k.identifier),
        ),
      );
      if (problems.length) return { ok: false, state: 'policy', problems };

      const passwordHash = await hashBridgePassword(password);
      const sealed = legacyUser
        ? await sealDelivery(legacyUser.row.row, password, { target, box })
        : undefined;
      const result = await db.transaction(async (trx) => {
        if (!(await spend(trx, row.id))) return undefined;
        let sub: string;
        let migrated = false;
        if (account) {
          await replaceHash(trx, account, passwordHash, password);
          sub = account.sub;
        } else {
          const user = legacyUser!;
          sub = fields!.sub;
          const inserted = await accounts.insert(trx, {
            sub,
            legacyId: user.legacyId,
            passwordHash,
            claims: { ...fields!.claims, email_verified: true },
            source: 'legacy',
            legacyScheme: 'password_reset',
            legacyFingerprint: legacyFingerprint(user.row.password, user.row.salt),
            identifiers,
          });
          if (inserted) {
            migrated = true;
            await enqueueDelivery(trx, {
              sub,
              payload: { legacy_id: user.legacyId },
              ...sealed!,
              status: target.delivers ? 'pending' : 'skipped',
            });
            await audit.record(
              {
                type: 'migration',
                outcome: 'success',
                reason: 'password_reset',
                sub,
                details: { legacy_id: user.legacyId },
              },
              trx,
            );
          } else {
            // A first login of the same user won the race: its account gets the new password.
            const winner = (await accounts.findByLegacyId(user.legacyId, trx))!;
            await replaceHash(trx, winner, passwordHash, password);
            sub = winner.sub;
          }
        }
        await audit.record(
          {
            type: 'password_reset',
            outcome: 'success',
            reason: migrated ? 'migrated' : 'bridge',
            sub,
            ip,
            details: { revoke_sessions: cfg.revoke_sessions },
          },
          trx,
        );
        return { sub, migrated };
      });
      if (!result) {
        // Spent, voided or expired between the look and the write: say which.
        const again = await lookup(tokenValue);
        return {
          ok: false,
          state: again.state === 'valid' ? 'used' : (again.state as Exclude<LinkState, 'valid'>),
        };
      }
      await notifyOutbox(db, result.sub);
      if (cfg.revoke_sessions) {
        try {
          await deps.revokeAll(result.sub);
          // Within a request the session deletes wait for its answer; send them now, so a
          // failure is seen here and logged, and not only as the answer's outage page.
          await currentPayloadScope()?.flush();
        } catch (err) {
          log.error(
            { err: { message: (err as Error).message } },
            'sessions could not be ended after a reset',
          );
        }
      }
      return {
        ok: true,
        sub: result.sub,
        migrated: result.migrated,
        interactionUid: row.interaction_uid,
        returnTo: row.return_to,
      };
    },
  };
}

function emailOf(claims: Record<string, unknown>): string | undefined {
  const email = claims.email;
  return typeof email === 'string' && email.includes('@') ? email : undefined;
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;
