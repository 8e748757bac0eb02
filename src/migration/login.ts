// authenticate(identifier, password): the login library. A migrated user is checked against
// the bridge's own argon2id hash; anyone else against the legacy table, whatever its hash.
// The first legacy success creates the account and its delivery job in one transaction.
// Unknown users cost a decoy verification, so failures look and time alike.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../config/schema.ts';
import { BridgeError, LegacyUnavailableError, UnusableHashError } from '../errors.ts';
import { bridgeHashNeedsRehash, hashBridgePassword, verifyBridgePassword } from '../hashing/bridge-hash.ts';
import { decoyFor, schemeForRow, schemeReadsSalt, verifyPassword } from '../hashing/registry.ts';
import type { LegacyRow, LegacySource, SourceVerdict } from '../legacy/source.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { TotpCarryOver } from '../mfa/carry-over.ts';
import type { FactorSummary, SummaryOnLogin } from '../mfa/second-factors.ts';
import type { Audit, AuditEvent } from '../security/audit.ts';
import { createFailureFloor, type FailureFloor } from '../security/failure-floor.ts';
import type { PasswordPolicy } from '../security/password-policy.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { TargetFormat } from '../target/types.ts';
import { noTracing, type Tracing } from '../tracing.ts';
import {
  type AccountRow,
  type Accounts,
  type IdentifierKey,
  identifierKeys,
  normalizeIdentifier,
} from './accounts.ts';
import { deliveryInsert, enqueueDelivery, notifyOutbox, outboxChannel, sealDelivery } from './outbox.ts';
import { passwordChanged } from './password-change.ts';

export interface LoginAttempt {
  identifier: string;
  password: string;
  ip?: string | undefined;
  clientId?: string | undefined;
}

/** An attempt in progress: its hold on the guard, and the failure path it took (for the floor). */
interface Attempt extends LoginAttempt {
  hold: LoginReservation;
  path: string;
}

export type LoginOutcome =
  | {
      ok: true;
      sub: string;
      source: 'bridge' | 'legacy';
      migrated: boolean;
      /** The password fails the policy: the user is asked for a new one after login. */
      prompt?: boolean;
      /**
       * The account's second factors as this login read (or knew) them, for the step after
       * the password; absent when it did not (the step then asks the store).
       */
      factors?: FactorSummary | undefined;
    }
  | { ok: false; reason: FailureReason };

/** Reason codes for audit rows and metrics. The user sees one message for all of them. */
export type FailureReason =
  | 'unknown_user'
  | 'wrong_password'
  | 'hash_unusable'
  | 'no_password'
  | 'throttled'
  | 'disabled'
  /** A migrated user whose legacy row is gone or no longer passes legacy.where. */
  | 'legacy_refused';

/** One attempt's hold on the guard's counters, from before the lookup until its outcome. */
export interface LoginReservation {
  /**
   * The guess found a user: counts against that user too, and a lockout covers every name it
   * goes by (`aliases`: its username, its e-mail). Throws ThrottledError when spent.
   */
  resolved(subject: string, aliases?: string[]): Promise<void>;
  failed(): Promise<void>;
  /**
   * What gives a success's points back, as writes for the login's own statement to carry;
   * none when the counters are not in the store. Once they are written, `succeeded(true)`.
   */
  successWrites(db: Knex): Knex.QueryBuilder[];
  /** Gives the attempt back: a success costs no budget. `carried`: its successWrites were written. */
  succeeded(carried?: boolean): Promise<void>;
  /** Gives the attempt back when no password was checked (the legacy database was down). */
  release(): Promise<void>;
}

/** Login-path protection (rate limits, lockouts, the legacy concurrency cap). */
export interface LoginGuard {
  /**
   * Takes the attempt on every counter before any legacy lookup, and on the user's own when
   * the store already knows who the name belongs to; throws ThrottledError when refused.
   */
  reserve(identifier: string, ip: string | undefined, subject?: string): Promise<LoginReservation>;
  /** Runs a legacy lookup within the global concurrency cap. */
  legacySlot<T>(fn: () => Promise<T>): Promise<T>;
}

const openReservation: LoginReservation = {
  resolved: async () => {},
  failed: async () => {},
  successWrites: () => [],
  succeeded: async () => {},
  release: async () => {},
};

export const openGuard: LoginGuard = {
  reserve: async () => openReservation,
  legacySlot: (fn) => fn(),
};

/** What a guess resolves to, the same whether the user has migrated or not. */
function subjectOf(account: Pick<AccountRow, 'sub' | 'legacy_id'>): string {
  return account.legacy_id ? `legacy:${account.legacy_id}` : `sub:${account.sub}`;
}

export interface LoginDeps {
  config: Config;
  db: Knex;
  accounts: Accounts;
  legacy?: LegacySource | undefined;
  audit: Audit;
  metrics: Metrics;
  logger: Logger;
  guard?: LoginGuard;
  /** Seals the target's password form and row copy in the outbox. */
  box: SecretBox;
  target: TargetFormat;
  /** Carries a legacy TOTP secret over with the account (see src/mfa/carry-over.ts). */
  totpCarryOver?: TotpCarryOver | undefined;
  tracing?: Tracing | undefined;
  /** The time floor under failures; one per process, shared by its logins. */
  floor?: FailureFloor | undefined;
  /** A legacy password that fails it still logs in; the account is then marked for a prompt. */
  policy?: PasswordPolicy | undefined;
  /**
   * The second-factor summary read with the account lookup and known for an account this login
   * creates, carried on the outcome (see src/mfa/second-factors.ts). Without it, none is.
   */
  secondFactorSummary?: SummaryOnLogin | undefined;
  /** The row of an account that just logged in, as read or written (for the provider's read cache). */
  accountSeen?: ((account: AccountRow) => void) | undefined;
}

/** A fingerprint of the legacy hash an account migrated from, to notice a later change. */
export function legacyFingerprint(stored: string | null, salt: string | undefined): string | null {
  if (stored === null) return null;
  return createHash('sha256')
    .update(`oidc-bridge:legacy-fingerprint:${stored}\0${salt ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

/** The names a legacy row logs in with: the values of its identifier columns. */
export function legacyIdentifiers(row: LegacyRow, legacyCfg: Config['legacy']): string[] {
  return accountIdentifiers(row, legacyCfg).map((k) => k.identifier);
}

/**
 * The login names a bridge account keeps for a legacy user: the identifier columns under the
 * case rule for a table; for a store that names its users itself (an HTTP profile, a
 * directory entry), the names it gave, matched without regard to case as such stores do.
 */
function accountIdentifiers(row: LegacyRow, legacyCfg: Config['legacy']): IdentifierKey[] {
  const keys = identifierKeys(legacyCfg, row.row);
  if (keys.length > 0) return keys;
  const names = [...new Set(row.identifiers.map(normalizeIdentifier).filter(Boolean))];
  return names.map((identifier) => ({ identifier, exact: false }));
}

/** What a bridge account made from a legacy row holds: its sub, mapped claims and identifiers. */
export function legacyAccountFields(
  row: LegacyRow,
  legacyCfg: Config['legacy'],
  legacy: LegacySource | undefined,
): { sub: string; claims: Record<string, unknown>; identifiers: IdentifierKey[] } {
  return {
    sub: legacyCfg?.sub === 'uuid' ? randomUUID() : row.id,
    claims: legacy ? legacy.mapClaims(row) : {},
    identifiers: accountIdentifiers(row, legacyCfg),
  };
}

export function createLogin(deps: LoginDeps) {
  const { config, db, accounts, legacy, audit, metrics, logger, box, target } = deps;
  const guard = deps.guard ?? openGuard;
  const tracing = deps.tracing ?? noTracing;
  const inTransaction = <T>(fn: (trx: Knex.Transaction) => Promise<T>) =>
    tracing.span('store.transaction', () => db.transaction(fn));
  const verifyOwn = (password: string, hash: string) =>
    tracing.span('hash.verify', () => verifyBridgePassword(password, hash), {
      'oidc_bridge.scheme': 'argon2id',
    });
  const legacyCfg = config.legacy;
  const scheme = legacyCfg?.password.scheme ?? 'auto';
  const pepper = legacyCfg?.password.pepper;

  /**
   * The decoy costs what the legacy table's own scheme costs. It is made at start, off the
   * event loop, from the configured scheme; under auto it starts as bcrypt cost 10 and is
   * remade once from the first real row a login checks (its format and cost), with no extra
   * query. A failed attempt keeps the decoy it has; at most three attempts are made.
   */
  interface Decoy {
    stored: string;
    scheme: string;
    salt: string | undefined;
  }
  const bcryptDecoy = decoyFor('bcrypt').then((stored) => ({ stored, scheme: 'bcrypt', salt: undefined }));
  let decoyState: Promise<Decoy> =
    scheme === 'auto'
      ? bcryptDecoy
      : decoyFor(scheme).then(
          (stored) => ({ stored, scheme, salt: schemeReadsSalt(scheme) ? 'decoy-salt' : undefined }),
          () => bcryptDecoy,
        );
  let refineAttempts = scheme === 'auto' ? 0 : 3;
  function refineDecoy(row: LegacyRow): void {
    if (refineAttempts >= 3 || !row.password) return;
    refineAttempts++;
    const like = row.password;
    decoyFor('auto', like).then(
      (stored) => {
        refineAttempts = 3;
        decoyState = Promise.resolve({ stored, scheme: 'auto', salt: row.salt });
      },
      () => {},
    );
  }

  async function decoy(password: string): Promise<void> {
    const d = await decoyState.catch(() => bcryptDecoy);
    try {
      await verifyPassword({ password, stored: d.stored, scheme: d.scheme, salt: d.salt, pepper });
    } catch {
      // a decoy never matters
    }
  }

  const floor = deps.floor ?? createFailureFloor();
  // The floor starts at what a decoy costs, so the very first failures are padded too.
  void decoyState.then(async () => {
    const t = performance.now();
    await decoy(randomBytes(12).toString('base64url'));
    floor.prime(performance.now() - t);
  });

  async function timedVerify(password: string, row: LegacyRow): Promise<{ match: boolean; scheme: string }> {
    const started = process.hrtime.bigint();
    const rowScheme = legacyCfg ? schemeForRow(row.scheme, legacyCfg.password) : scheme;
    const result = await tracing.span('hash.verify', async (span) => {
      const r = await verifyPassword({
        password,
        stored: row.password ?? '',
        salt: row.salt,
        pepper,
        scheme: rowScheme,
      });
      span.set({ 'oidc_bridge.scheme': r.scheme });
      return r;
    });
    // Only a row whose format was understood is a model for the decoy, never a malformed one.
    refineDecoy(row);
    metrics.hashVerifySeconds.observe(
      { scheme: result.scheme },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return result;
  }

  /** A bridge hash made with other argon2id parameters is re-hashed; a failed re-hash never fails the login. */
  async function upgradeBridgeHash(sub: string, hash: string, password: string): Promise<void> {
    if (!bridgeHashNeedsRehash(hash)) return;
    try {
      await accounts.updatePassword(sub, await hashBridgePassword(password));
    } catch (err) {
      logger.error({ err: { message: (err as Error).message } }, 'bridge hash upgrade failed');
    }
  }

  async function fail(
    attempt: Attempt,
    reason: FailureReason,
    extra: { source?: string; scheme?: string | undefined; sub?: string; unusable?: string } = {},
  ) {
    await attempt.hold.failed();
    attempt.path = `${reason}:${extra.source ?? 'none'}:${extra.scheme ?? ''}`;
    metrics.logins.inc({
      outcome: 'failure',
      source: String(extra.source ?? 'none'),
      scheme: String(extra.scheme ?? ''),
    });
    await audit.record({
      type: 'login',
      outcome: 'failure',
      reason,
      identifier: attempt.identifier,
      ip: attempt.ip,
      clientId: attempt.clientId,
      sub: typeof extra.sub === 'string' ? extra.sub : undefined,
      details: {
        ...(extra.scheme ? { scheme: extra.scheme } : {}),
        ...(extra.unusable ? { unusable: extra.unusable } : {}),
      },
    });
    return { ok: false as const, reason };
  }

  /** The audit row of a successful login. */
  function successEvent(
    attempt: LoginAttempt,
    sub: string,
    source: 'bridge' | 'legacy',
    migrated: boolean,
    scheme?: string,
  ): AuditEvent {
    return {
      type: 'login',
      outcome: 'success',
      reason: migrated ? 'migrated' : source,
      sub,
      identifier: attempt.identifier,
      ip: attempt.ip,
      clientId: attempt.clientId,
      details: { scheme: scheme ?? (source === 'bridge' ? 'argon2id' : '') },
    };
  }

  /**
   * `audited`: the login's audit row went out with the migration's statement already;
   * `carried`: so did the give-back of the attempt's counters, and the reservation is settled.
   */
  async function succeed(
    attempt: Attempt,
    sub: string,
    source: 'bridge' | 'legacy',
    migrated: boolean,
    scheme?: string,
    audited = false,
    carried = false,
  ) {
    if (!carried) await attempt.hold.succeeded();
    metrics.logins.inc({
      outcome: 'success',
      source,
      scheme: scheme ?? (source === 'bridge' ? 'argon2id' : ''),
    });
    if (!audited) await audit.record(successEvent(attempt, sub, source, migrated, scheme));
    return { ok: true as const, sub, source, migrated };
  }

  /**
   * A migrated user's login, recorded with its audit row and the give-back of its attempt
   * counters in one statement. Should that fail, the login is recorded alone and the audit row
   * written apart, whose failure is only logged. `carried`: the counters went with it.
   */
  async function recordLogin(
    attempt: Attempt,
    sub: string,
    refill: string | undefined,
  ): Promise<{ refilled: boolean; carried: boolean }> {
    const event = successEvent(attempt, sub, 'bridge', false);
    const settles = attempt.hold.successWrites(db);
    try {
      const refilled = await accounts.recordLogin(sub, refill, [audit.insertOf(event), ...settles]);
      // Settled the moment its statement is written: nothing after it may give the points back twice.
      if (settles.length > 0) await attempt.hold.succeeded(true);
      return { refilled, carried: settles.length > 0 };
    } catch {
      const refilled = await accounts.recordLogin(sub, refill);
      await audit.record(event);
      return { refilled, carried: false };
    }
  }

  async function lookupLegacy<T>(fn: (l: LegacySource) => Promise<T>): Promise<T> {
    if (!legacy) throw new LegacyUnavailableError('No legacy database is configured.');
    const stopTimer = metrics.legacyLookupSeconds.startTimer();
    try {
      return await tracing.span('legacy.lookup', () => guard.legacySlot(() => fn(legacy)));
    } catch (err) {
      if (err instanceof LegacyUnavailableError) metrics.legacyErrors.inc({ code: err.code });
      throw err;
    } finally {
      stopTimer();
    }
  }

  async function importedWithoutPassword(sub: string): Promise<boolean> {
    const job = await db('outbox').where({ sub, kind: 'deliver' }).first('payload');
    const payload = typeof job?.payload === 'string' ? JSON.parse(job.payload) : job?.payload;
    return payload?.without_password === true;
  }

  /** The login names a legacy user goes by, as the source read them (sql columns, a profile, an entry). */
  function identifiersOf(row: LegacyRow): string[] {
    return row.identifiers;
  }

  /** Creates (or completes) the bridge account from a verified legacy row. */
  /** With `attempt`, a created account's login audit row is written with it (`audited`). */
  async function migrate(
    password: string,
    row: LegacyRow,
    matchedScheme: string,
    existing: AccountRow | undefined,
    attempt?: Attempt,
  ): Promise<{
    sub: string;
    created: boolean;
    audited?: boolean;
    carried?: boolean;
    factors?: FactorSummary | undefined;
  }> {
    let passwordHash: string | null = null;
    try {
      passwordHash = await hashBridgePassword(password);
    } catch (err) {
      // A failed re-hash never fails the login: the next login tries again.
      logger.error({ err: { message: (err as Error).message } }, 're-hash failed');
    }
    const fingerprint = legacyFingerprint(row.password, row.salt);
    const totp = deps.totpCarryOver?.prepare(row);
    if (existing) {
      if (totp) await deps.totpCarryOver!.save(db, existing.sub, totp);
      if (passwordHash) {
        await accounts.updatePassword(existing.sub, passwordHash, {
          legacyFingerprint: fingerprint,
          legacyScheme: matchedScheme,
          migrated: existing.migrated_at === null,
        });
      }
      // Imported without a password (--without-password): the target holds an unusable one
      // until told the real form, which this first login can give.
      if (existing.password_hash === null && (await importedWithoutPassword(existing.sub))) {
        const told = await passwordChanged(
          { config, db, box, target },
          { sub: existing.sub, legacyId: existing.legacy_id, password },
        );
        await audit.record({
          type: 'password_delivered',
          outcome: 'info',
          sub: existing.sub,
          details: { target: told, reason: 'imported_without_password' },
        });
      }
      return { sub: existing.sub, created: false };
    }
    const { sub, claims, identifiers } = legacyAccountFields(row, legacyCfg, legacy);
    const sealed = await sealDelivery(row.row, password, { target, box });
    const account = {
      sub,
      legacyId: row.id,
      passwordHash,
      claims,
      source: 'legacy' as const,
      legacyScheme: matchedScheme,
      legacyFingerprint: fingerprint,
      identifiers,
    };
    const job = {
      sub,
      payload: { legacy_id: row.id },
      ...sealed,
      status: target.delivers ? 'pending' : 'skipped',
    };
    const migration = {
      type: 'migration',
      outcome: 'success' as const,
      sub,
      details: { scheme: matchedScheme, legacy_id: row.id },
    };
    // The account, its identifiers, its delivery job (waking the workers), the migration's
    // and the login's audit rows: one statement, all or nothing, written only if this login
    // created the account; the attempt counters' give-back rides on it whoever created it.
    // A carried-over TOTP secret needs a transaction around its own write.
    const settles = !totp && attempt ? attempt.hold.successWrites(db) : [];
    const created = totp
      ? await inTransaction(async (trx) => {
          const inserted = await accounts.insert(trx, account);
          if (!inserted) return undefined;
          await deps.totpCarryOver!.save(trx, sub, totp);
          await enqueueDelivery(trx, job);
          await audit.record(migration, trx);
          return inserted;
        })
      : await tracing.span('store.transaction', () =>
          accounts.insert(db, account, {
            alongside: [
              deliveryInsert(db, job),
              audit.insertOf(migration),
              ...(attempt ? [audit.insertOf(successEvent(attempt, sub, 'legacy', true, matchedScheme))] : []),
            ],
            notify: outboxChannel(db),
            also: settles,
          }),
        );
    const carried = settles.length > 0;
    // Settled the moment its statement is written: nothing after it may give the points back twice.
    if (carried) await attempt!.hold.succeeded(true);

    if (created) deps.accountSeen?.(created);
    if (!created) {
      // A concurrent first login of the same user created it first.
      const winner = await accounts.findByLegacyId(row.id);
      return { sub: winner?.sub ?? sub, created: false, carried };
    }
    metrics.migrations.inc();
    // Just created, with no secret carried over: no second factor yet, known without asking.
    const factors = totp ? undefined : deps.secondFactorSummary?.none;
    return { sub, created: true, audited: !totp && attempt !== undefined, carried, factors };
  }

  /**
   * A weak legacy password never fails a login (it is already the user's password); the
   * account is marked instead, and asked for a new one once, after this login.
   */
  async function markIfWeak(sub: string, password: string, row: LegacyRow): Promise<boolean> {
    if (!deps.policy || config.password_policy.prompt_weak_legacy === 'off') return false;
    const words = Object.values(row.row).filter(
      (v): v is string => typeof v === 'string' && v !== row.password,
    );
    if ((await deps.policy.problems(password, words)).length === 0) return false;
    await db('accounts').where({ sub }).update({ password_change_prompt: true });
    return true;
  }

  /** A source that checks passwords itself (http, ldap), timed like a hash check. */
  async function sourceVerify(password: string, row: LegacyRow): Promise<SourceVerdict> {
    const started = process.hrtime.bigint();
    const verdict = await lookupLegacy((l) => l.verify!(row, password));
    metrics.hashVerifySeconds.observe(
      { scheme: verdict.scheme },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return verdict;
  }

  /**
   * The legacy user an existing account migrated from: by its id, or (for a store that
   * cannot look ids up, such as a single POST) by the name typed, checked against the id
   * once the password proved.
   */
  async function legacyRowOf(account: AccountRow, identifier: string): Promise<LegacyRow | undefined> {
    const byId = await lookupLegacy((l) => l.findById(account.legacy_id!));
    if (byId || !legacy?.verify) return byId;
    return lookupLegacy((l) => l.findByIdentifier(identifier));
  }

  async function viaLegacy(attempt: Attempt, existing: AccountRow | undefined): Promise<LoginOutcome> {
    const row = existing?.legacy_id
      ? await legacyRowOf(existing, attempt.identifier)
      : await lookupLegacy((l) => l.findByIdentifier(attempt.identifier));
    // A single POST says who the user is only with the right password: its pending row has no id yet.
    if (row && !existing && row.id !== '')
      await attempt.hold.resolved(`legacy:${row.id}`, identifiersOf(row));
    if (!row) {
      await decoy(attempt.password);
      return fail(attempt, existing ? 'wrong_password' : 'unknown_user', { source: 'legacy' });
    }
    if (!row.password && legacy?.verify) {
      const verdict = await sourceVerify(attempt.password, row);
      const verified = verdict.row ?? row;
      if (!verdict.match || (existing?.legacy_id && verified.id !== existing.legacy_id)) {
        return fail(attempt, 'wrong_password', { source: 'legacy', scheme: verdict.scheme });
      }
      const { sub, created, audited, carried, factors } = await migrate(
        attempt.password,
        verified,
        verdict.scheme,
        existing,
        attempt,
      );
      const prompt = await markIfWeak(sub, attempt.password, verified);
      return {
        ...(await succeed(attempt, sub, 'legacy', created, verdict.scheme, audited, carried)),
        prompt,
        factors,
      };
    }
    if (!row.password) {
      await decoy(attempt.password);
      return fail(attempt, 'no_password', { source: 'legacy' });
    }
    let result: { match: boolean; scheme: string };
    try {
      result = await timedVerify(attempt.password, row);
    } catch (err) {
      if (err instanceof UnusableHashError) {
        // An unusable hash must cost what a real check costs, or its users stand out by time.
        await decoy(attempt.password);
        metrics.unusableHashes.inc({ reason: err.reason, scheme: err.scheme ?? 'unknown' });
        logger.warn(
          { legacy_id: row.id, reason: err.reason, scheme: err.scheme },
          'legacy hash cannot be used',
        );
        return fail(attempt, 'hash_unusable', { source: 'legacy', scheme: err.scheme, unusable: err.reason });
      }
      throw err;
    }
    if (!result.match) return fail(attempt, 'wrong_password', { source: 'legacy', scheme: result.scheme });
    const { sub, created, audited, carried, factors } = await migrate(
      attempt.password,
      row,
      result.scheme,
      existing,
      attempt,
    );
    const prompt = await markIfWeak(sub, attempt.password, row);
    return {
      ...(await succeed(attempt, sub, 'legacy', created, result.scheme, audited, carried)),
      prompt,
      factors,
    };
  }

  const coexistence = legacyCfg?.coexistence;
  /**
   * Until cut-over, a migrated user may log in only while the legacy application would let
   * them: their row, looked up by id, still exists and passes legacy.where. Unreachable, the
   * bridge fails open or closed as configured. Returns false to refuse.
   */
  async function legacyStillAdmits(account: AccountRow, identifier: string): Promise<boolean> {
    if (!legacy || !account.legacy_id || !coexistence?.recheck_at_login) return true;
    try {
      return (await legacyRowOf(account, identifier)) !== undefined;
    } catch (err) {
      if (!(err instanceof LegacyUnavailableError)) throw err;
      if (coexistence.when_unreachable === 'closed') throw err;
      logger.debug({ sub: account.sub }, 'legacy re-check skipped: legacy database unreachable (fail open)');
      return true;
    }
  }

  /** The account a name logs in with; with secondFactorSummary, its summary from the same statement. */
  async function lookup(identifier: string): Promise<{ account?: AccountRow; factors?: FactorSummary }> {
    const summary = deps.secondFactorSummary;
    if (!summary) return { account: await accounts.findByIdentifier(identifier) };
    const found = await accounts.findByIdentifierWith(identifier, summary.column);
    return found ? { account: found.account, factors: summary.read(found.alongside) } : {};
  }

  async function run(
    attempt: Attempt,
    account: AccountRow | undefined,
    factors: FactorSummary | undefined,
  ): Promise<LoginOutcome> {
    if (account?.disabled_at) {
      // Refused like a wrong password, and at the cost of one, so it reveals nothing.
      await decoy(attempt.password);
      return fail(attempt, 'disabled', { source: 'bridge', sub: account.sub });
    }
    if (account?.password_hash) {
      if (await verifyOwn(attempt.password, account.password_hash)) {
        if (!(await legacyStillAdmits(account, attempt.identifier))) {
          return fail(attempt, 'legacy_refused', { source: 'legacy', sub: account.sub });
        }
        await upgradeBridgeHash(account.sub, account.password_hash, attempt.password);
        // A form that costs next to nothing is made on the off chance a failed job needs it.
        const form =
          target.delivers && target.cheapPasswordForm ? await target.passwordForm(attempt.password) : null;
        const refill = form === null ? undefined : box.seal(form);
        const recorded = await recordLogin(attempt, account.sub, refill);
        if (recorded.refilled) await notifyOutbox(db, account.sub);
        deps.accountSeen?.(account);
        const prompt = account.password_change_prompt === true;
        return {
          ...(await succeed(attempt, account.sub, 'bridge', false, undefined, true, recorded.carried)),
          prompt,
          factors,
        };
      }
      // The password may have been changed in the legacy application since migration.
      if (legacy && account.legacy_id) {
        try {
          const row = await legacyRowOf(account, attempt.identifier);
          let result: SourceVerdict | undefined;
          if (row?.password && legacyFingerprint(row.password, row.salt) !== account.legacy_fingerprint) {
            result = await timedVerify(attempt.password, row);
          } else if (row && !row.password && legacy.verify) {
            // The directory or application may hold a password changed since migration.
            result = await sourceVerify(attempt.password, row);
            if (result.match && (result.row ?? row).id !== account.legacy_id) result = undefined;
          }
          if (row && result) {
            if (result.match) {
              await migrate(attempt.password, result.row ?? row, result.scheme, account);
              const told = await passwordChanged(
                { config, db, box, target },
                { sub: account.sub, legacyId: account.legacy_id, password: attempt.password },
              );
              await audit.record({
                type: 'password_resynced',
                outcome: 'info',
                sub: account.sub,
                details: { target: told },
              });
              return succeed(attempt, account.sub, 'legacy', false, result.scheme);
            }
          }
        } catch (err) {
          // A migrated user never depends on the legacy database being up.
          if (!(err instanceof BridgeError)) throw err;
        }
      }
      return fail(attempt, 'wrong_password', { source: 'bridge', sub: account.sub });
    }
    if (!legacy) {
      await decoy(attempt.password);
      return fail(attempt, 'unknown_user');
    }
    return viaLegacy(attempt, account);
  }

  const login = {
    async authenticate(input: LoginAttempt): Promise<LoginOutcome> {
      const startedAt = performance.now();
      // The store is asked first, so that a known user's counters go with the name's and the
      // address's in one statement; the legacy database is asked only once they are held.
      const { account, factors } = await lookup(input.identifier);
      const hold = await guard.reserve(input.identifier, input.ip, account ? subjectOf(account) : undefined);
      const attempt: Attempt = { ...input, hold, path: '' };
      let outcome: LoginOutcome;
      try {
        outcome = await run(attempt, account, factors);
      } catch (err) {
        await hold.release();
        throw err;
      }
      // Every failure takes as long as the costliest one; a success does not wait.
      if (!outcome.ok) await floor.pad(attempt.path, startedAt);
      return outcome;
    },
  };
  if (!tracing.enabled) return login;
  return {
    authenticate: (attempt: LoginAttempt) =>
      tracing.span('login', async (span) => {
        const outcome = await login.authenticate(attempt);
        span.set(
          outcome.ok
            ? {
                'oidc_bridge.outcome': 'success',
                'oidc_bridge.source': outcome.source,
                'oidc_bridge.migrated': outcome.migrated,
              }
            : { 'oidc_bridge.outcome': 'failure', 'oidc_bridge.reason': outcome.reason },
        );
        return outcome;
      }),
  };
}

export type Login = ReturnType<typeof createLogin>;
