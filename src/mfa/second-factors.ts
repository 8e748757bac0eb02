// The second-factor library: what an account has (an authenticator app, recovery codes,
// passkeys), the check of one code with its throttle and replay refusal, TOTP enrolment
// with recovery codes shown once, and the legacy secret carried over at migration. Routes
// call it; it holds no HTTP and no page.
import type { Knex } from 'knex';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { Audit } from '../security/audit.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../store/db.ts';
import {
  type AuthenticationResponseJSON,
  createPasskeys,
  type RegistrationResponseJSON,
} from './passkeys.ts';
import {
  createSecondFactorQueries,
  type FactorSummary,
  NO_SECOND_FACTORS,
  type SecondFactorRow,
  summaryColumn,
  summaryOf,
} from './queries.ts';
import { looksLikeRecoveryCode, newRecoveryCode, recoveryCodeDigester } from './recovery-codes.ts';
import { createCodeThrottle } from './throttle.ts';
import { checkTotp, DEFAULT_TOTP, type TotpParams } from './totp.ts';

export interface SecondFactorDeps {
  config: Config;
  store: Pick<Store, 'db' | 'kind'>;
  box: SecretBox;
  audit: Pick<Audit, 'record'>;
  logger: Logger;
}

export interface FactorStatus {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
  /** The passkey offer was declined less than 30 days ago. */
  passkeyDeclined: boolean;
}

export type CodeOutcome =
  | { ok: true; kind: 'totp' | 'recovery' }
  | { ok: false; reason: 'wrong' | 'replayed' | 'no_factor' };

export type { FactorSummary };

/**
 * The summary a login carries to the second-factor step, so that the step sends no statement
 * of its own: read in the account lookup, or known without asking for an account the login
 * just created. The SQL is this module's; the login only selects the column and hands it on.
 */
export interface SummaryOnLogin {
  /** The summary's column, for a statement that reads the account whose sub is `sub`. */
  column(sub: Knex.Ref<string, Record<string, string>>): Knex.Raw;
  /** The summary from what that column gave. */
  read(value: unknown): FactorSummary;
  /** An account created by this login with no TOTP secret carried over. */
  none: Readonly<FactorSummary>;
}

const DECLINE_REMEMBERED_MS = 30 * 24 * 3600 * 1000;

export function createSecondFactors(deps: SecondFactorDeps) {
  const { config, store, box, audit } = deps;
  const queries = createSecondFactorQueries(store.db);
  const throttle = createCodeThrottle(config, store);
  const digest = recoveryCodeDigester(config.key_encryption_key);
  const passkeys = createPasskeys({ config, queries });

  function totpOf(row: SecondFactorRow | undefined): TotpParams | undefined {
    if (!row?.totp_secret) return undefined;
    return {
      secret: box.open(row.totp_secret),
      digits: row.totp_digits ?? DEFAULT_TOTP.digits,
      period: row.totp_period ?? DEFAULT_TOTP.period,
      algorithm: (row.totp_algorithm ?? DEFAULT_TOTP.algorithm) as TotpParams['algorithm'],
    };
  }

  async function makeRecoveryCodes(sub: string): Promise<string[]> {
    const codes = Array.from({ length: config.mfa.recovery_codes }, newRecoveryCode);
    await queries.replaceRecoveryCodes(sub, codes.map(digest));
    return codes;
  }

  const summaryOnLogin: SummaryOnLogin = {
    column: (sub) => summaryColumn(store.db, sub),
    read: summaryOf,
    none: NO_SECOND_FACTORS,
  };

  return {
    queries,
    summaryOnLogin,
    /** Passkeys; a sign-in with one and a new one are audit rows, as password logins are. */
    passkeys: {
      ...passkeys,
      async register(sub: string, response: RegistrationResponseJSON, challenge: string): Promise<boolean> {
        const ok = await passkeys.register(sub, response, challenge);
        await audit.record({ type: 'passkey_added', outcome: ok ? 'success' : 'failure', sub });
        return ok;
      },
      async authenticate(response: AuthenticationResponseJSON, challenge: string, ip?: string) {
        const result = await passkeys.authenticate(response, challenge);
        await audit.record({
          type: 'login',
          outcome: result ? 'success' : 'failure',
          reason: result ? 'passkey' : 'passkey_invalid',
          sub: result?.sub,
          ip,
        });
        return result;
      },
    },

    /**
     * What the account has. `known`: the summary the login already read or knew (see
     * SummaryOnLogin); without it the store is asked.
     */
    async status(sub: string, known?: FactorSummary): Promise<FactorStatus> {
      const s = known ?? (await queries.summary(sub));
      return {
        totp: s.totp,
        passkeys: s.passkeys,
        recoveryCodesLeft: s.recoveryCodesLeft,
        passkeyDeclined:
          s.passkeyDeclinedAt !== null && Date.now() - s.passkeyDeclinedAt.getTime() < DECLINE_REMEMBERED_MS,
      };
    },

    /**
     * Keeps the legacy secret of a user being migrated, in the migration's transaction,
     * unless the account already has an authenticator app.
     */
    async carryOver(trx: Knex, sub: string, totp: TotpParams): Promise<void> {
      await queries.setTotp(sub, { ...totp, secret: box.seal(totp.secret), source: 'legacy' }, trx, true);
    },

    /**
     * Checks an authenticator code, or a recovery code (told apart by their shape). Wrong
     * and replayed codes count toward the throttle; ThrottledError while it holds.
     */
    async checkCode(sub: string, code: string, ip?: string): Promise<CodeOutcome> {
      await throttle.check(sub);
      const outcome = await (async (): Promise<CodeOutcome> => {
        if (looksLikeRecoveryCode(code)) {
          return (await queries.redeemRecoveryCode(sub, digest(code)))
            ? { ok: true, kind: 'recovery' }
            : { ok: false, reason: 'wrong' };
        }
        const row = await queries.find(sub);
        const totp = totpOf(row);
        if (!totp) return { ok: false, reason: 'no_factor' };
        const lastStep = row?.totp_last_step == null ? null : Number(row.totp_last_step);
        const check = checkTotp(totp, code, { window: config.mfa.window, lastStep });
        if (!check.ok) return check;
        // Two requests with one code: only one moves the step forward.
        return (await queries.acceptStep(sub, check.step))
          ? { ok: true, kind: 'totp' }
          : { ok: false, reason: 'replayed' };
      })();
      if (outcome.ok) await throttle.succeeded(sub);
      else await throttle.failed(sub);
      await audit.record({
        type: 'second_factor',
        outcome: outcome.ok ? 'success' : 'failure',
        reason: outcome.ok ? outcome.kind : outcome.reason,
        sub,
        ip,
      });
      if (outcome.ok && outcome.kind === 'recovery') {
        deps.logger.info({ sub, left: await queries.recoveryCodesLeft(sub) }, 'recovery code used');
      }
      return outcome;
    },

    /**
     * Completes an enrolment: the first code from the new secret must be right (and is then
     * spent), the secret is kept sealed, and fresh recovery codes are returned, to be shown
     * once. Undefined when the code is wrong.
     */
    async enrolTotp(sub: string, secret: string, code: string, ip?: string): Promise<string[] | undefined> {
      await throttle.check(sub);
      const totp: TotpParams = { secret, ...DEFAULT_TOTP };
      const check = checkTotp(totp, code, { window: config.mfa.window, lastStep: null });
      if (!check.ok) {
        await throttle.failed(sub);
        return undefined;
      }
      await throttle.succeeded(sub);
      await queries.setTotp(sub, {
        ...totp,
        secret: box.seal(secret),
        source: 'enrolled',
        lastStep: check.step,
      });
      const codes = await makeRecoveryCodes(sub);
      await audit.record({ type: 'second_factor_enrolled', outcome: 'success', reason: 'totp', sub, ip });
      return codes;
    },

    declinePasskey: (sub: string) => queries.declinePasskey(sub),

    /** The operator's reset: the account signs in with its password alone until it enrols again. */
    async reset(sub: string): Promise<void> {
      await queries.removeAll(sub);
    },
  };
}

export type SecondFactors = ReturnType<typeof createSecondFactors>;
