// Measures whether login times tell which users exist: N logins each for unknown users and
// for a known legacy user with a wrong password, through the login form of a real bridge on a
// real legacy table of bcrypt hashes. Reports the median times and their ratio (target 0.8 to
// 1.25); `npx tsx bench/enumeration.ts [N] [mysql|postgres] [cost]` prints them.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLegacyTable } from '../test/security/support.ts';
import { startTestBridge } from '../test/support/bridge.ts';
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
  const bridge = await startTestBridge({
    legacy: legacy.config,
    log_level: 'warn',
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
    return {
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
  // The worker pool of the hash verifiers keeps the process alive otherwise.
  process.exit(ok ? 0 : 1);
}
