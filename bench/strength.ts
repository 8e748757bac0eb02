// What the weak-password check of a first login costs: zxcvbn-ts's estimate, as
// src/security/strength-worker.ts runs it, of the bench's legacy password and of a few others,
// in CPU time per estimate (the dictionaries loaded first). Run: npx tsx bench/strength.ts [N]
import { fileURLToPath } from 'node:url';
import strengthWorker from '../src/security/strength-worker.ts';
import { BENCH_PASSWORD } from './support/servers.ts';
import { round } from './support/stats.ts';

export async function benchStrength(n = 20): Promise<Record<string, number>> {
  const passwords = [BENCH_PASSWORD, 'correct horse battery staple', 'Tr0ub4dor&3'];
  const userInputs = ['bench-user-0', 'bench-user-0@example.com'];
  await strengthWorker({ password: 'warm-up', userInputs });
  const out: Record<string, number> = {};
  for (const password of passwords) {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) await strengthWorker({ password, userInputs });
    const used = process.cpuUsage(start);
    out[password === BENCH_PASSWORD ? 'bench legacy password' : password] = round(
      (used.user + used.system) / 1000 / n,
      2,
    );
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchStrength(Number(process.argv[2] ?? 20));
  for (const [password, ms] of Object.entries(result)) {
    process.stdout.write(`${password}: ${ms} ms of CPU per estimate\n`);
  }
}
