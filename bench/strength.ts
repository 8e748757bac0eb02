// What the weak-password check of a first login costs: zxcvbn-ts's estimate, as
// src/security/strength-worker.ts runs it, of the bench's legacy password and of a few others,
// in CPU time per estimate (the dictionaries loaded first), with the estimate's own l33t matcher
// (the default) and with zxcvbn-ts's, in one run. Run: npx tsx bench/strength.ts [N]
import { fileURLToPath } from 'node:url';
import { createEstimator } from '../src/security/strength-worker.ts';
import { BENCH_PASSWORD } from './support/servers.ts';
import { round } from './support/stats.ts';

export const STRENGTH_PASSWORDS = [
  BENCH_PASSWORD,
  'correct horse battery staple',
  'Tr0ub4dor&3',
  'P@$$w0rd1234',
];

/** CPU milliseconds per estimate, by matcher and password. */
export async function benchStrength(n = 20): Promise<Record<'indexed' | 'library', Record<string, number>>> {
  const userInputs = ['bench-user-0', 'bench-user-0@example.com'];
  const estimators = { indexed: await createEstimator('indexed'), library: await createEstimator('library') };
  const out = { indexed: {}, library: {} } as Record<'indexed' | 'library', Record<string, number>>;
  for (const password of STRENGTH_PASSWORDS) {
    // Turn about, so that neither matcher always runs on a warmer machine.
    for (const kind of ['indexed', 'library', 'indexed', 'library'] as const) {
      const estimator = estimators[kind];
      estimator.check(password, userInputs);
      const start = process.cpuUsage();
      for (let i = 0; i < n; i++) estimator.check(password, userInputs);
      const used = process.cpuUsage(start);
      const ms = (used.user + used.system) / 1000 / n;
      const name = password === BENCH_PASSWORD ? 'bench legacy password' : password;
      out[kind][name] = round(Math.min(out[kind][name] ?? Number.POSITIVE_INFINITY, ms), 2);
    }
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchStrength(Number(process.argv[2] ?? 20));
  for (const name of Object.keys(result.library)) {
    const ours = result.indexed[name]!;
    const theirs = result.library[name]!;
    process.stdout.write(
      `${name}: ${ours} ms of CPU per estimate (zxcvbn-ts's own matchers: ${theirs} ms, ${round(theirs / ours, 2)}x)\n`,
    );
  }
}
