// Measures whether login times tell which users exist: N logins each for unknown users and
// for a known legacy user with a wrong password, through the login form of a real bridge on a
// real legacy table of bcrypt hashes; then N password reset requests each for unknown names
// and for the known user (whose e-mail goes to an SMTP sink). Reports the median times and
// their ratios (target 0.8 to 1.25); `npx tsx bench/enumeration.ts [N] [mysql|postgres] [cost]`
// prints them.
import { randomBytes } from 'node:crypto';
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
  /** The forgot form: unknown names against the known user, whose e-mail is sent. */
  reset: {
    unknownMedianMs: number;
    knownMedianMs: number;
    /** unknown / known; 1 means the two cannot be told apart by time. */
    ratio: number;
    statuses: number[];
    /** E-mails the sink received: one per known request. */
    mails: number;
  };
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
  const sink = await startSmtpSink();
  const bridge = await startTestBridge({
    legacy: legacy.config,
    log_level: 'warn',
    mail: { host: '127.0.0.1', port: sink.port, security: 'none', from: 'bench@example.com' },
    password_reset: {
      per_identifier_per_hour: 1_000_000,
      per_ip_per_hour: 1_000_000,
      per_email_per_hour: 1_000_000,
    },
    // The bench measures the login path itself, not the throttling in front of it.
    security: {
      lockout: { free_attempts: 1_000_000 },
      ip_failures_per_hour: 1_000_000,
      identifier_failures_per_hour: 1_000_000,
    },
  });
  try {
    const secret = `bench-${randomBytes(16).toString('hex')}`;
    await bridge.addClient({ id: 'bench', redirectUris: [REDIRECT_URI], secret });
    const rp = await relyingParty(bridge.url, 'bench', secret);
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

    const forgotRun = await beginLogin(rp);
    const href = /<a href="([^"]*\/forgot)"/.exec(forgotRun.loginPage.html)?.[1];
    const forgot = formOf(
      await forgotRun.browser.get(new URL(href!, forgotRun.loginPage.url).toString()),
      /\/forgot$/,
    );
    const resetStatuses: number[] = [];
    const resetUnknown: number[] = [];
    const resetKnown: number[] = [];
    const request = async (identifier: string) => {
      const started = process.hrtime.bigint();
      const page = await forgotRun.browser.post(forgot.action, { ...forgot.fields, identifier });
      resetStatuses.push(page.status);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      await bridge.bridge.passwordReset!.settled();
      return ms;
    };
    for (let i = 0; i < warmup + logins; i++) {
      const u = await request(`unkn-${randomBytes(3).toString('hex')}`);
      const k = await request('known-user');
      if (i >= warmup) {
        resetUnknown.push(u);
        resetKnown.push(k);
      }
    }
    const sent = warmup + logins;
    for (const until = Date.now() + 10_000; sink.received.length < sent && Date.now() < until; ) {
      await bridge.bridge.mail!.runOnce();
      await new Promise((r) => setTimeout(r, 20));
    }
    const resetUnknownMs = median(resetUnknown);
    const resetKnownMs = median(resetKnown);
    return {
      dialect,
      cost,
      logins,
      unknownMedianMs: Math.round(unknownMedianMs * 100) / 100,
      knownWrongMedianMs: Math.round(knownWrongMedianMs * 100) / 100,
      ratio: Math.round((unknownMedianMs / knownWrongMedianMs) * 1000) / 1000,
      statuses: [...new Set(statuses)],
      reset: {
        unknownMedianMs: Math.round(resetUnknownMs * 100) / 100,
        knownMedianMs: Math.round(resetKnownMs * 100) / 100,
        ratio: Math.round((resetUnknownMs / resetKnownMs) * 1000) / 1000,
        statuses: [...new Set(resetStatuses)],
        mails: sink.received.length,
      },
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
  const within = (r: number) => r >= 0.8 && r <= 1.25;
  const ok = within(report.ratio) && within(report.reset.ratio);
  process.stdout.write(
    `login ratio ${report.ratio}, reset ratio ${report.reset.ratio}: ${ok ? 'within' : 'OUTSIDE'} the 0.8 to 1.25 target\n`,
  );
  // The worker pool of the hash verifiers keeps the process alive otherwise.
  process.exit(ok ? 0 : 1);
}
