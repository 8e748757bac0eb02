// What the newer work on the login path costs, each measured in this process against the real
// stores, through the same library calls the bridge's routes make:
// - the failure-time floor (src/security/failure-floor.ts): how long a failed login waits for
//   it, and success logins per second with the floor on and off, with failures arriving at a
//   fixed rate beside them (so the floor has work in both runs);
// - the second factor at login: one authenticator code checked (throttle, the sealed secret,
//   the step accepted, the audit row) and one passkey assertion verified (the credential
//   looked up, the ES256 signature checked, the counter moved, the audit row), the assertion
//   made by a software authenticator.
// `npx tsx bench/hot-path.ts` prints both.
import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Bridge, createBridge } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { hashBridgePassword } from '../src/hashing/bridge-hash.ts';
import { silentLogger } from '../src/logger.ts';
import type { AuthenticationResponseJSON } from '../src/mfa/passkeys.ts';
import { createSecondFactors } from '../src/mfa/second-factors.ts';
import { DEFAULT_TOTP, newTotpSecret, totpCode } from '../src/mfa/totp.ts';
import { createAccounts } from '../src/migration/accounts.ts';
import { createLogin, type Login } from '../src/migration/login.ts';
import { createFailureFloor, type FailureFloor } from '../src/security/failure-floor.ts';
import { createLoginGuard } from '../src/security/guard.ts';
import { freePort } from '../test/support/bridge.ts';
import { createPgDatabase } from '../test/support/databases.ts';
import { BENCH_PASSWORD, legacyFixture } from './support/servers.ts';
import { round, runLanes } from './support/stats.ts';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0, 2);
};

const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** The login path with its throttles out of the way: the bench measures the floor itself. */
const UNTHROTTLED = {
  lockout: { free_attempts: 1_000_000 },
  ip_failures_per_hour: 1_000_000,
  identifier_failures_per_hour: 1_000_000,
  legacy_concurrency: 8,
};

/** A floor that never waits: the bridge as it was before the floor. */
const NO_FLOOR: FailureFloor = {
  observe() {},
  prime() {},
  floorMs: () => 0,
  async pad() {},
};

export interface FailureFloorReport {
  users: number;
  concurrency: number;
  failuresPerSec: number;
  /** Repeat (argon2id) success logins per second, floor on and off, and on / off. */
  successPerSec: { on: number; off: number };
  successRatio: number;
  /** An unknown user's failed login, median, with the floor and without. */
  failureMedianMs: { on: number; off: number };
  /** What a failure waited in the floor's pad (the sleep after its own work), median and p99. */
  waitMs: number;
  waitP99Ms: number;
  /** The floor the running averages had reached at the end. */
  floorMs: number;
}

export async function benchFailureFloor(
  opts: { users?: number; concurrency?: number; rounds?: number; failuresPerSec?: number } = {},
): Promise<FailureFloorReport> {
  const users = opts.users ?? 40;
  const concurrency = opts.concurrency ?? 4;
  const rounds = opts.rounds ?? 2;
  const failuresPerSec = opts.failuresPerSec ?? 4;
  const fixture = await legacyFixture(users);
  let bridge: Bridge | undefined;
  try {
    const config = parseConfig({
      issuer: 'http://127.0.0.1:1',
      database: fixture.store.url,
      log_level: 'silent',
      legacy: fixture.bridgeConfig.legacy,
      security: UNTHROTTLED,
    });
    bridge = await createBridge(config, { logger: silentLogger });
    const b = bridge;
    const deps = {
      config,
      db: b.store.db,
      accounts: createAccounts(b.store.db),
      legacy: b.legacy,
      audit: b.audit,
      metrics: b.metrics,
      logger: silentLogger,
      box: b.box,
      target: b.target,
      guard: createLoginGuard({
        config,
        store: b.store,
        metrics: b.metrics,
        audit: b.audit,
        logger: silentLogger,
      }),
    };
    const real = createFailureFloor();
    const waits: number[] = [];
    // The bridge's floor, timed from the inside: the time in pad() is what a failure waits.
    const floor: FailureFloor = {
      ...real,
      async pad(path, startedAt) {
        const t0 = process.hrtime.bigint();
        await real.pad(path, startedAt);
        waits.push(msSince(t0));
      },
    };
    const logins: Record<'on' | 'off', Login> = {
      on: createLogin({ ...deps, floor }),
      off: createLogin({ ...deps, floor: NO_FLOOR }),
    };
    const succeed = async (login: Login, i: number) => {
      const r = await login.authenticate({
        identifier: fixture.usernames[i % users]!,
        password: BENCH_PASSWORD,
      });
      if (!r.ok) throw new Error(`failure floor bench: ${fixture.usernames[i % users]} did not log in`);
    };
    // Every user migrates first (bcrypt, then the argon2id re-hash): the measured logins are repeats.
    await runLanes(concurrency, (i) => succeed(logins.off, i), { total: users });
    // One unmeasured round of repeat logins: the argon2id verify's first runs, the caches.
    await runLanes(concurrency, (i) => succeed(logins.off, i), { total: users });
    // The floor learns what failures cost before it is measured.
    for (let i = 0; i < 4; i++)
      await logins.on.authenticate({ identifier: `nobody-${i}`, password: 'wrong-password-of-the-bench' });
    waits.length = 0;

    const success: Record<'on' | 'off', { logins: number; seconds: number }> = {
      on: { logins: 0, seconds: 0 },
      off: { logins: 0, seconds: 0 },
    };
    const failures: Record<'on' | 'off', number[]> = { on: [], off: [] };
    // on, off, off, on, …: drift on a shared machine falls on both alike.
    const order = Array.from(
      { length: rounds * 2 },
      (_, i) => (i % 4 === 0 || i % 4 === 3 ? 'on' : 'off') as 'on' | 'off',
    );
    for (const mode of order) {
      const login = logins[mode];
      const inFlight: Promise<void>[] = [];
      // Failures at a fixed rate, not in lanes: a failure that waits must not lower the load.
      // The first goes at once, so a round shorter than the interval still has one.
      const fail = () => {
        const t0 = process.hrtime.bigint();
        inFlight.push(
          login
            .authenticate({ identifier: `nobody-${randomBytes(4).toString('hex')}`, password: 'wrong-bench' })
            .then((r) => {
              if (r.ok) throw new Error('an unknown user logged in');
              failures[mode].push(msSince(t0));
            }),
        );
      };
      fail();
      const timer = setInterval(fail, 1000 / failuresPerSec);
      const { completed, seconds } = await runLanes(concurrency, (i) => succeed(login, i), { total: users });
      clearInterval(timer);
      await Promise.all(inFlight);
      success[mode].logins += completed;
      success[mode].seconds += seconds;
    }
    const on = success.on.logins / success.on.seconds;
    const off = success.off.logins / success.off.seconds;
    const failureMedianMs = { on: percentile(failures.on, 0.5), off: percentile(failures.off, 0.5) };
    return {
      users,
      concurrency,
      failuresPerSec,
      successPerSec: { on: round(on, 2), off: round(off, 2) },
      successRatio: round(on / off, 3),
      failureMedianMs,
      waitMs: percentile(waits, 0.5),
      waitP99Ms: percentile(waits, 0.99),
      floorMs: round(real.floorMs(), 1),
    };
  } finally {
    await bridge?.stop();
    await fixture.drop();
  }
}

export interface SecondFactorReport {
  checks: number;
  /** One authenticator code at login: SecondFactors.checkCode, end to end. */
  totp: { medianMs: number; p99Ms: number };
  /** One passkey sign-in: SecondFactors.passkeys.authenticate, end to end. */
  passkey: { medianMs: number; p99Ms: number };
}

const b64url = (b: Buffer) => b.toString('base64url');

/** A P-256 key as COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y. */
function coseKey(jwk: { x?: string; y?: string }): Buffer {
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
    x,
    Buffer.from([0x22, 0x58, 0x20]),
    y,
  ]);
}

/** A software authenticator holding one passkey: signs assertions as a browser would relay them. */
function softwareAuthenticator(rpID: string, origin: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const credentialId = b64url(randomBytes(16));
  let counter = 0;
  return {
    credentialId,
    publicKey: b64url(coseKey(publicKey.export({ format: 'jwk' }))),
    assert(challenge: string): AuthenticationResponseJSON {
      counter++;
      const flags = 0x01 | 0x04; // user present, user verified
      const authData = Buffer.concat([
        createHash('sha256').update(rpID).digest(),
        Buffer.from([flags]),
        Buffer.from([(counter >>> 24) & 255, (counter >>> 16) & 255, (counter >>> 8) & 255, counter & 255]),
      ]);
      const clientData = Buffer.from(
        JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }),
      );
      const signature = createSign('sha256')
        .update(Buffer.concat([authData, createHash('sha256').update(clientData).digest()]))
        .sign(privateKey);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          authenticatorData: b64url(authData),
          clientDataJSON: b64url(clientData),
          signature: b64url(signature),
        },
      };
    },
  };
}

export async function benchSecondFactors(opts: { checks?: number } = {}): Promise<SecondFactorReport> {
  const checks = opts.checks ?? 200;
  const database = await createPgDatabase('obb');
  let bridge: Bridge | undefined;
  try {
    const port = await freePort();
    const config = parseConfig({
      issuer: `http://localhost:${port}`,
      database: database.url,
      log_level: 'silent',
      key_encryption_key: randomBytes(32).toString('base64'),
    });
    bridge = await createBridge(config, { logger: silentLogger });
    const { db } = bridge.store;
    const sub = 'bench-second-factor';
    const passwordHash = await hashBridgePassword(BENCH_PASSWORD);
    await db.transaction((trx) =>
      createAccounts(db).insert(trx, { sub, passwordHash, claims: {}, source: 'local', identifiers: [sub] }),
    );
    const factors = createSecondFactors({
      config,
      store: bridge.store,
      box: bridge.box,
      audit: bridge.audit,
      logger: silentLogger,
    });
    const totp = { secret: newTotpSecret(), ...DEFAULT_TOTP };
    const code = totpCode(totp);
    const totpTimes: number[] = [];
    for (let i = 0; i < checks + 3; i++) {
      // The step of the last check is forgotten, off the clock: one code serves every check.
      await factors.queries.setTotp(sub, {
        ...totp,
        secret: bridge.box.seal(totp.secret),
        source: 'enrolled',
      });
      const t0 = process.hrtime.bigint();
      const outcome = await factors.checkCode(sub, code);
      if (i >= 3) totpTimes.push(msSince(t0));
      if (!outcome.ok) throw new Error(`second factor bench: the code was refused (${outcome.reason})`);
    }
    const origin = new URL(config.issuer).origin;
    const authenticator = softwareAuthenticator(factors.passkeys.rpID, origin);
    await factors.queries.addPasskey({
      credential_id: authenticator.credentialId,
      sub,
      public_key: authenticator.publicKey,
      counter: 0,
      transports: ['internal'],
      device_type: 'singleDevice',
      backed_up: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
    });
    const passkeyTimes: number[] = [];
    for (let i = 0; i < checks + 3; i++) {
      const { challenge } = await factors.passkeys.authenticationOptions();
      const response = authenticator.assert(challenge);
      const t0 = process.hrtime.bigint();
      const result = await factors.passkeys.authenticate(response, challenge);
      if (i >= 3) passkeyTimes.push(msSince(t0));
      if (result?.sub !== sub) throw new Error('second factor bench: the passkey assertion did not verify');
    }
    return {
      checks,
      totp: { medianMs: percentile(totpTimes, 0.5), p99Ms: percentile(totpTimes, 0.99) },
      passkey: { medianMs: percentile(passkeyTimes, 0.5), p99Ms: percentile(passkeyTimes, 0.99) },
    };
  } finally {
    await bridge?.stop();
    await database.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const floor = await benchFailureFloor();
  const factors = await benchSecondFactors();
  process.stdout.write(`${JSON.stringify({ floor, factors }, null, 2)}\n`);
  process.exit(0);
}
