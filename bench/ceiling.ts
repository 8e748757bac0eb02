// The ceiling every login figure is a ratio to: raw verifications per second on all cores
// through the bridge's own verifyPassword (bcrypt cost 10, argon2id at the bridge's
// parameters, Django's pbkdf2_sha256, salted sha256), the rate of the argon2id re-hash a
// first login adds, and the CPU-heavy legacy formats at their applications' defaults (scrypt,
// PBKDF2, the iterated crypt family). `npx tsx bench/ceiling.ts` prints them.
import { createHash, pbkdf2, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hashSync } from '@node-rs/bcrypt';
import { BRIDGE_ARGON2_PARAMS, hashBridgePassword } from '../src/hashing/bridge-hash.ts';
import { iterateDigest, shaCryptChecksum } from '../src/hashing/crypt-algorithms.ts';
import { closeWorkerPool, verifyPassword } from '../src/hashing/registry.ts';
import { sha1CryptChecksum } from '../src/hashing/sha1-crypt-algorithm.ts';
import { yescryptHash } from '../src/hashing/yescrypt-algorithm.ts';
import { round, runLanes } from './support/stats.ts';

/** Django 5.2's PBKDF2PasswordHasher default (5.1 had 870,000; 6.0 raises it to 1,200,000). */
export const DJANGO_PBKDF2_ITERATIONS = 1_000_000;

export interface CeilingOptions {
  /** Measuring time per scheme. Default 4000 ms. */
  durationMs?: number;
  /** Verifications in flight. Default 8: twice libuv's 4 threads, so the pool never idles. */
  concurrency?: number;
  /** Override Django's count (the smoke test uses a small one). */
  pbkdf2Iterations?: number;
  /** Measure the CPU-heavy legacy formats at their defaults too (npm run bench does). Default false. */
  legacyFormats?: boolean;
}

export interface SchemeRate {
  /** Verifications (or hashes) per second on all cores. */
  perSec: number;
  completed: number;
  seconds: number;
  /**
   * CPU time of this process per operation (main thread and libuv threads alike): what one
   * hash costs, whatever the number of cores. The login bench subtracts it from the bridge's
   * CPU per login to leave what the bridge spends outside hashing.
   */
  cpuMsPerOp: number;
}

export interface CeilingReport {
  cores: number;
  threadPoolSize: number;
  concurrency: number;
  pbkdf2Iterations: number;
  argon2Params: { memoryKiB: number; passes: number; lanes: number };
  verify: {
    bcrypt10: SchemeRate;
    argon2id: SchemeRate;
    pbkdf2Sha256: SchemeRate;
    saltedSha256: SchemeRate;
  };
  /** hashBridgePassword: the re-hash of a first login. */
  argon2idHash: SchemeRate;
  /** 1 / (1/bcrypt + 1/argon2id hash): first logins per second if hashing were all they cost. */
  firstLoginPerSec: number;
  /** argon2id verifications per second: the repeat-login ceiling. */
  repeatLoginPerSec: number;
  /** CPU-heavy legacy formats at their applications' defaults, by a label naming the parameters. */
  legacyFormats: Record<string, SchemeRate>;
}

export const CEILING_PASSWORD = 'Ceiling-bench-password-42';
const PASSWORD = CEILING_PASSWORD;

async function rate(
  task: () => Promise<unknown>,
  concurrency: number,
  durationMs: number,
): Promise<SchemeRate> {
  // Warm-up: thread-pool start, lazy loading, the first JIT of the verifier.
  await Promise.all(Array.from({ length: concurrency }, task));
  const cpuBefore = process.cpuUsage();
  const { completed, seconds } = await runLanes(
    concurrency,
    async () => {
      await task();
    },
    { durationMs },
  );
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSec: round(completed / seconds, 1),
    completed,
    seconds: round(seconds, 2),
    cpuMsPerOp: round((cpu.user + cpu.system) / 1000 / Math.max(1, completed), 2),
  };
}

function verifying(stored: string, salt?: string): () => Promise<void> {
  return async () => {
    const { match } = await verifyPassword({ password: PASSWORD, stored, salt });
    if (!match) throw new Error(`ceiling: the ${stored.slice(0, 12)}… hash did not verify`);
  };
}

export async function benchCeiling(opts: CeilingOptions = {}): Promise<CeilingReport> {
  const durationMs = opts.durationMs ?? 4000;
  const concurrency = opts.concurrency ?? 8;
  const iterations = opts.pbkdf2Iterations ?? DJANGO_PBKDF2_ITERATIONS;
  const salt = 'Q2VpbGluZ1NhbHQ';
  const dk = await promisify(pbkdf2)(PASSWORD, salt, iterations, 32, 'sha256');
  const stored = {
    bcrypt10: hashSync(PASSWORD, 10),
    argon2id: await hashBridgePassword(PASSWORD),
    pbkdf2Sha256: `pbkdf2_sha256$${iterations}$${salt}$${dk.toString('base64')}`,
    saltedSha256: `sha256$${salt}$${createHash('sha256')
      .update(salt + PASSWORD)
      .digest('hex')}`,
  };
  const verify = {
    bcrypt10: await rate(verifying(stored.bcrypt10), concurrency, durationMs),
    argon2id: await rate(verifying(stored.argon2id), concurrency, durationMs),
    pbkdf2Sha256: await rate(verifying(stored.pbkdf2Sha256), concurrency, durationMs),
    saltedSha256: await rate(verifying(stored.saltedSha256), concurrency, Math.min(durationMs, 1000)),
  };
  const argon2idHash = await rate(() => hashBridgePassword(PASSWORD), concurrency, durationMs);
  const legacyFormats: Record<string, SchemeRate> = {};
  if (opts.legacyFormats) {
    for (const [label, stored] of Object.entries(legacyDefaults())) {
      legacyFormats[label] = await rate(verifying(stored), concurrency, Math.min(durationMs, 3000));
    }
  }
  await closeWorkerPool();
  return {
    cores: availableParallelism(),
    threadPoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    concurrency,
    pbkdf2Iterations: iterations,
    argon2Params: {
      memoryKiB: BRIDGE_ARGON2_PARAMS.memoryCost,
      passes: BRIDGE_ARGON2_PARAMS.timeCost,
      lanes: BRIDGE_ARGON2_PARAMS.parallelism,
    },
    verify,
    argon2idHash,
    firstLoginPerSec: round(1 / (1 / verify.bcrypt10.perSec + 1 / argon2idHash.perSec), 2),
    repeatLoginPerSec: verify.argon2id.perSec,
    legacyFormats,
  };
}

/** Stored values of PASSWORD in each heavy format, at the default of the application that writes it. */
export function legacyDefaults(): Record<string, string> {
  const pw = Buffer.from(PASSWORD);
  const b64 = (b: Buffer) => b.toString('base64');
  const salt16 = randomBytes(16);
  const djangoSalt = 'Q2VpbGluZ1NhbHQ';
  const identityHeader = Buffer.alloc(13);
  identityHeader[0] = 1;
  identityHeader.writeUInt32BE(2, 1);
  identityHeader.writeUInt32BE(100_000, 5);
  identityHeader.writeUInt32BE(16, 9);
  const identityKey = pbkdf2Sync(PASSWORD, salt16, 100_000, 32, 'sha512');
  const springKey = pbkdf2Sync(PASSWORD, salt16, 310_000, 32, 'sha256');
  const drupalSalt = 'CeilSalt';
  const drupal = iterateDigest('sha512', Buffer.concat([Buffer.from(drupalSalt), pw]), pw, 2 ** 15 + 1);
  return {
    'Django scrypt (N=2^14, r=8, p=1)': `scrypt$16384$${djangoSalt}$8$1$${b64(scryptSync(PASSWORD, djangoSalt, 64, { N: 16384, r: 8, p: 1 }))}`,
    'Werkzeug 3 scrypt (N=2^15, r=8, p=1)': `scrypt:32768:8:1$${djangoSalt}$${scryptSync(PASSWORD, djangoSalt, 64, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }).toString('hex')}`,
    'ASP.NET Identity v3 (PBKDF2-SHA512, 100,000)': b64(Buffer.concat([identityHeader, salt16, identityKey])),
    'Spring pbkdf2 5.8 (PBKDF2-SHA256, 310,000)': `{pbkdf2@SpringSecurity_v5_8}${Buffer.concat([salt16, springKey]).toString('hex')}`,
    'Drupal 7 $S$ (2^15 sha512, worker)': `$S$D${drupalSalt}${drupalEncode(Buffer.from(drupal, 'hex')).slice(0, 43)}`,
    'NetBSD sha1-crypt (480,000 HMAC, worker)': `$sha1$480000$CeilSalt$${sha1CryptChecksum(pw, 'CeilSalt', 480_000)}`,
    'yescrypt j9T (N=4096, r=32: 16 MiB, worker)': yescryptHash(
      pw,
      `$y$j9T$0OoV2/fdc.vHFygfM6SWJ1$${'A'.repeat(43)}`,
    )!,
    'glibc sha512-crypt (5000 rounds, worker)': `$6$CeilSalt$${shaCryptChecksum('sha512', pw, 'CeilSalt', 5000)}`,
  };
}

function drupalEncode(input: Buffer): string {
  const itoa = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let out = '';
  for (let i = 0; i < input.length; i += 3) {
    const v = input[i]! | ((input[i + 1] ?? 0) << 8) | ((input[i + 2] ?? 0) << 16);
    const chars = i + 2 < input.length ? 4 : i + 1 < input.length ? 3 : 2;
    for (let j = 0; j < chars; j++) out += itoa[(v >> (6 * j)) & 0x3f];
  }
  return out;
}

/**
 * Just the two login ceilings, quickly: the login bench measures them right before and right
 * after each of its phases, so that a login rate is compared with the ceiling of its minutes.
 */
export async function measureLoginCeilings(
  durationMs: number,
  concurrency = 8,
): Promise<{ firstLoginPerSec: number; repeatLoginPerSec: number }> {
  const bcrypt = verifying(hashSync(PASSWORD, 10));
  const argon2 = verifying(await hashBridgePassword(PASSWORD));
  const b = await rate(bcrypt, concurrency, durationMs);
  const h = await rate(() => hashBridgePassword(PASSWORD), concurrency, durationMs);
  const v = await rate(argon2, concurrency, durationMs);
  return {
    firstLoginPerSec: round(1 / (1 / b.perSec + 1 / h.perSec), 2),
    repeatLoginPerSec: v.perSec,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await benchCeiling({ legacyFormats: true }), null, 2)}\n`);
}
