// Measures whether login times tell which users exist: N logins each for unknown users and
// for a known legacy user with a wrong password, through the login form of a real bridge on a
// real legacy table of bcrypt hashes. Reports the median times and their ratio (target 0.8 to
// 1.25). Then every failure path of a mixed table (md5, sha1, bcrypt, a migrated user, an
// unusable hash, a disabled account, an unknown name), each path's median as a ratio to the
// unknown name's (target 0.9 to 1.1). Last, password reset requests through the forgot form,
// unknown names against a known user whose e-mail goes to an SMTP sink (target 0.8 to 1.25).
// `npx tsx bench/enumeration.ts [N] [mysql|postgres] [cost]` runs this phase alone and prints all.
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startSmtpSink } from '../src/mail/sink.ts';
import { createLegacyTable } from '../test/security/support.ts';
import { startTestBridge } from '../test/support/bridge.ts';
import { formOf } from '../test/support/browser.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../test/support/rp.ts';

export interface EnumerationOptions {
  /** Logins measured per kind. Default 30. */
  logins?: number;
  /** Unmeasured logins per kind first (worker pool start, the decoy's sample row). Default 3. */
  warmup?: number;
  /** Where the legacy table lives. Default mysql (MariaDB). */
  dialect?: 'mysql' | 'postgres';
  /** bcrypt cost of the legacy hashes. Default 10, PHP's default. */
  cost?: number;
  /** Time the forgot form too (benchResetRequests). Default true. */
  reset?: boolean;
  /** Also time every failure path of a mixed table (benchFailurePaths). Default true. */
  failurePaths?: boolean;
}

export interface EnumerationReport {
  dialect: 'mysql' | 'postgres';
  cost: number;
  logins: number;
  unknownMedianMs: number;
  knownWrongMedianMs: number;
  /** unknown / known-with-wrong-password; 1 means the two cannot be told apart by time. */
  ratio: number;
  /** Every answer's status, to show they were all the same 401. */
  statuses: number[];
  /** Each failure path's median and its ratio to the unknown name's, from a mixed table. */
  paths?: FailurePathsReport | undefined;
  /** The forgot form: unknown names against the known user, whose e-mail is sent. */
  reset?: ResetRequestsReport | undefined;
}

export interface ResetRequestsReport {
  unknownMedianMs: number;
  knownMedianMs: number;
  /** unknown / known; 1 means the two cannot be told apart by time. */
  ratio: number;
  statuses: number[];
  /** E-mails the sink received: one per known request. */
  mails: number;
}

export const FAILURE_PATHS = ['unknown', 'md5', 'sha1', 'bcrypt', 'migrated', 'unusable', 'locked'] as const;
export type FailurePath = (typeof FAILURE_PATHS)[number];

export interface FailurePathsReport {
  logins: number;
  medianMs: Record<FailurePath, number>;
  /** path / unknown; the target is 0.9 to 1.1 for every path. */
  ratio: Record<FailurePath, number>;
  statuses: number[];
}

/** The login path with its throttles out of the way: the bench measures the path itself. */
const UNTHROTTLED = {
  lockout: { free_attempts: 1_000_000 },
  ip_failures_per_hour: 1_000_000,
  identifier_failures_per_hour: 1_000_000,
};

/** A bridge and a confidential relying party of its own, for one bench phase. */
async function benchBridge(config: Parameters<typeof startTestBridge>[0]) {
  const bridge = await startTestBridge(config);
  const secret = `bench-${randomBytes(16).toString('hex')}`;
  await bridge.addClient({ id: 'bench', redirectUris: [REDIRECT_URI], secret });
  return { bridge, rp: await relyingParty(bridge.url, 'bench', secret) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchEnumeration(opts: EnumerationOptions = {}): Promise<EnumerationReport> {
  const logins = opts.logins ?? 30;
  const warmup = opts.warmup ?? 3;
  const dialect = opts.dialect ?? 'mysql';
  const cost = opts.cost ?? 10;
  const legacy = await createLegacyTable(
    dialect,
    [{ username: 'known-user', email: 'known-user@example.com', password: 'Bench-Password-7319' }],
    { cost },
  );
  const { bridge, rp } = await benchBridge({
    legacy: legacy.config,
    log_level: 'warn',
    security: UNTHROTTLED,
  });
  try {
    const unknownRun = await beginLogin(rp);
    const knownRun = await beginLogin(rp);
    const wrong = 'wrong-password-for-the-bench';
    const statuses: number[] = [];
    const unknown: number[] = [];
    const known: number[] = [];
    const time = async (fn: () => Promise<{ status: number }>) => {
      const started = process.hrtime.bigint();
      const page = await fn();
      statuses.push(page.status);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    // Interleaved, so that drift (GC, a noisy neighbour) falls on both kinds alike.
    for (let i = 0; i < warmup + logins; i++) {
      // Unknown names of the known name's length, so the echoed form is the same size too.
      const name = `unkn-${randomBytes(3).toString('hex')}`;
      const u = await time(() => submitLogin(unknownRun, name, wrong));
      const k = await time(() => submitLogin(knownRun, 'known-user', wrong));
      if (i >= warmup) {
        unknown.push(u);
        known.push(k);
      }
    }
    const unknownMedianMs = median(unknown);
    const knownWrongMedianMs = median(known);
    const paths =
      opts.failurePaths === false ? undefined : await benchFailurePaths({ logins, warmup, dialect, cost });
    const reset =
      opts.reset === false ? undefined : await benchResetRequests({ logins, warmup, dialect, cost });
    return {
      paths,
      reset,
      dialect,
      cost,
      logins,
      unknownMedianMs: Math.round(unknownMedianMs * 100) / 100,
      knownWrongMedianMs: Math.round(knownWrongMedianMs * 100) / 100,
      ratio: Math.round((unknownMedianMs / knownWrongMedianMs) * 1000) / 1000,
      statuses: [...new Set(statuses)],
    };
  } finally {
    await bridge.close();
    await legacy.drop();
  }
}

const hex = (algorithm: string, s: string) => createHash(algorithm).update(s).digest('hex');

/**
 * One legacy table holding a user of each kind; every round posts one wrong password to each
 * path, in a fresh order, so drift falls on all paths alike.
 */
export async function benchFailurePaths(opts: EnumerationOptions = {}): Promise<FailurePathsReport> {
  const logins = opts.logins ?? 30;
  const warmup = opts.warmup ?? 3;
  const password = 'Bench-Password-7319';
  const legacy = await createLegacyTable(
    opts.dialect ?? 'mysql',
    [
      { username: 'bcrypt-user', email: 'bcrypt-user@example.com', password },
      { username: 'migrated-user', email: 'migrated-user@example.com', password },
      { username: 'locked-user', email: 'locked-user@example.com', password },
    ],
    { cost: opts.cost ?? 10 },
  );
  await legacy.insertRaw('md5-user', hex('md5', password));
  await legacy.insertRaw('sha1-user', hex('sha1', password));
  await legacy.insertRaw('unusable-user', `!${randomBytes(30).toString('base64url')}`);
  const { bridge, rp } = await benchBridge({
    legacy: legacy.config,
    log_level: 'warn',
    security: UNTHROTTLED,
  });
  try {
    // The migrated and the locked user log in once; the locked one is then disabled.
    for (const name of ['migrated-user', 'locked-user']) {
      const status = (await submitLogin(await beginLogin(rp), name, password)).status;
      if (status !== 303 && status !== 302 && status !== 200)
        throw new Error(`${name} did not log in: ${status}`);
    }
    await bridge.bridge.store
      .db('accounts')
      .whereIn(
        'sub',
        bridge.bridge.store.db('account_identifiers').select('sub').where({ identifier: 'locked-user' }),
      )
      .update({ disabled_at: new Date() });
    const names: Record<Exclude<FailurePath, 'unknown'>, string> = {
      md5: 'md5-user',
      sha1: 'sha1-user',
      bcrypt: 'bcrypt-user',
      migrated: 'migrated-user',
      unusable: 'unusable-user',
      locked: 'locked-user',
    };
    const runs = new Map<FailurePath, Awaited<ReturnType<typeof beginLogin>>>();
    for (const p of FAILURE_PATHS) runs.set(p, await beginLogin(rp));
    const times = new Map<FailurePath, number[]>(FAILURE_PATHS.map((p) => [p, []]));
    const statuses = new Set<number>();
    for (let i = 0; i < warmup + logins; i++) {
      const order = [...FAILURE_PATHS].sort(() => Math.random() - 0.5);
      for (const p of order) {
        const name = p === 'unknown' ? `unkn-${randomBytes(3).toString('hex')}` : names[p];
        const started = process.hrtime.bigint();
        const page = await submitLogin(runs.get(p)!, name, 'wrong-password-for-the-bench');
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        statuses.add(page.status);
        if (i >= warmup) times.get(p)!.push(ms);
      }
    }
    const medianMs = Object.fromEntries(
      FAILURE_PATHS.map((p) => [p, Math.round(median(times.get(p)!) * 100) / 100]),
    ) as Record<FailurePath, number>;
    const ratio = Object.fromEntries(
      FAILURE_PATHS.map((p) => [p, Math.round((medianMs[p] / medianMs.unknown) * 1000) / 1000]),
    ) as Record<FailurePath, number>;
    return { logins, medianMs, ratio, statuses: [...statuses] };
  } finally {
    await bridge.close();
    await legacy.drop();
  }
}

/**
 * The forgot form, N requests each for unknown names and for a known legacy user, interleaved.
 * The answer comes before the lookup, so the two should take the same time; the known user's
 * e-mails are counted at the sink to show that the work was done.
 */
export async function benchResetRequests(opts: EnumerationOptions = {}): Promise<ResetRequestsReport> {
  const logins = opts.logins ?? 30;
  const warmup = opts.warmup ?? 3;
  const legacy = await createLegacyTable(
    opts.dialect ?? 'mysql',
    [{ username: 'known-user', email: 'known-user@example.com', password: 'Bench-Password-7319' }],
    { cost: opts.cost ?? 10 },
  );
  const sink = await startSmtpSink();
  const { bridge, rp } = await benchBridge({
    legacy: legacy.config,
    log_level: 'warn',
    mail: { host: '127.0.0.1', port: sink.port, security: 'none', from: 'bench@example.com' },
    password_reset: {
      per_identifier_per_hour: 1_000_000,
      per_ip_per_hour: 1_000_000,
      per_email_per_hour: 1_000_000,
    },
  });
  try {
    const run = await beginLogin(rp);
    const href = /<a href="([^"]*\/forgot)"/.exec(run.loginPage.html)?.[1];
    if (!href) throw new Error('the login page has no "Forgot password?" link');
    const forgot = formOf(await run.browser.get(new URL(href, run.loginPage.url).toString()), /\/forgot$/);
    const statuses = new Set<number>();
    const unknown: number[] = [];
    const known: number[] = [];
    const request = async (identifier: string) => {
      const started = process.hrtime.bigint();
      const page = await run.browser.post(forgot.action, { ...forgot.fields, identifier });
      statuses.add(page.status);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      await bridge.bridge.passwordReset!.settled();
      return ms;
    };
    for (let i = 0; i < warmup + logins; i++) {
      const u = await request(`unkn-${randomBytes(3).toString('hex')}`);
      const k = await request('known-user');
      if (i >= warmup) {
        unknown.push(u);
        known.push(k);
      }
    }
    for (const until = Date.now() + 10_000; sink.received.length < warmup + logins && Date.now() < until; ) {
      await bridge.bridge.mail!.runOnce();
      await new Promise((r) => setTimeout(r, 20));
    }
    const u = median(unknown);
    const k = median(known);
    return {
      unknownMedianMs: Math.round(u * 100) / 100,
      knownMedianMs: Math.round(k * 100) / 100,
      ratio: Math.round((u / k) * 1000) / 1000,
      statuses: [...statuses],
      mails: sink.received.length,
    };
  } finally {
    await bridge.close();
    await sink.close();
    await legacy.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [n, dialect, cost] = process.argv.slice(2);
  const report = await benchEnumeration({
    logins: n ? Number(n) : undefined,
    dialect: dialect === 'postgres' ? 'postgres' : 'mysql',
    cost: cost ? Number(cost) : undefined,
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const ok = report.ratio >= 0.8 && report.ratio <= 1.25;
  process.stdout.write(`ratio ${report.ratio}: ${ok ? 'within' : 'OUTSIDE'} the 0.8 to 1.25 target\n`);
  for (const p of report.paths ? FAILURE_PATHS : []) {
    const r = report.paths!.ratio[p];
    process.stdout.write(
      `${p.padEnd(9)} ${String(report.paths!.medianMs[p]).padStart(8)} ms  ratio ${r}  ${r >= 0.9 && r <= 1.1 ? 'within' : 'OUTSIDE'} 0.9 to 1.1\n`,
    );
  }
  const r = report.reset?.ratio ?? 0;
  process.stdout.write(
    `reset     ${String(report.reset?.unknownMedianMs).padStart(8)} ms  ratio ${r}  ${r >= 0.8 && r <= 1.25 ? 'within' : 'OUTSIDE'} 0.8 to 1.25\n`,
  );
  // The worker pool of the hash verifiers keeps the process alive otherwise.
  process.exit(ok ? 0 : 1);
}
