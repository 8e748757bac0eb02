// Measures the bcrypt implementations installed (native `bcrypt`, `@node-rs/bcrypt`,
// `bcryptjs`): verifications per second at cost 10 with 8 in flight, and how much each
// delays the event loop while it runs. The verifier uses the fastest one that runs off
// the main thread; `npx tsx bench/hash-libs.ts` prints the numbers, benchHashLibs() returns them.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as rsBcrypt from '@node-rs/bcrypt';
import nativeBcrypt from 'bcrypt';
import bcryptjs from 'bcryptjs';

export interface HashLibResult {
  /** Verifications completed per second. */
  opsPerSec: number;
  /** Event-loop delay while the verifications ran, in milliseconds. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Whether the library's async verify leaves the event loop free. */
  offMainThread: boolean;
}

export interface HashLibsReport {
  cost: number;
  concurrency: number;
  verificationsPerLib: number;
  libs: Record<string, HashLibResult>;
  fastestOffMainThread: string;
}

type Verify = (password: string, hash: string) => Promise<boolean>;

const PASSWORD = 'correct horse battery staple';

// An event loop that never waits more than this while hashing counts as free.
const BLOCKING_THRESHOLD_MS = 50;

async function measure(verify: Verify, hash: string, total: number, concurrency: number) {
  // One warm-up verification so thread-pool start-up and lazy loading are not measured.
  await verify(PASSWORD, hash);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // The histogram's first tick only sets its baseline: let it pass before the work starts.
  await new Promise((resolve) => setTimeout(resolve, 10));
  let started = 0;
  const start = process.hrtime.bigint();
  const lane = async () => {
    while (started < total) {
      started++;
      if (!(await verify(PASSWORD, hash))) throw new Error('benchmark hash did not verify');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  histogram.disable();
  return {
    opsPerSec: Math.round((total / seconds) * 10) / 10,
    eventLoopDelayP99Ms: Math.round(histogram.percentile(99) / 1e4) / 100,
    eventLoopDelayMaxMs: Math.round(histogram.max / 1e4) / 100,
  };
}

export async function benchHashLibs(
  options: { cost?: number; concurrency?: number; verifications?: number } = {},
): Promise<HashLibsReport> {
  const cost = options.cost ?? 10;
  const concurrency = options.concurrency ?? 8;
  const total = options.verifications ?? 48;
  // $2b$: the one prefix all three libraries read (@node-rs/bcrypt 1.x writes $2y$).
  const hash = (await rsBcrypt.hash(PASSWORD, cost)).replace(/^\$2y\$/, '$2b$');

  const candidates: Record<string, { verify: Verify; total: number }> = {
    '@node-rs/bcrypt': { verify: (p, h) => rsBcrypt.verify(p, h), total },
    bcrypt: { verify: (p, h) => nativeBcrypt.compare(p, h), total },
    // Pure JavaScript, several times slower: fewer rounds keep the run short.
    bcryptjs: { verify: (p, h) => bcryptjs.compare(p, h), total: Math.max(8, Math.floor(total / 4)) },
  };

  const libs: Record<string, HashLibResult> = {};
  for (const [name, { verify, total: n }] of Object.entries(candidates)) {
    const result = await measure(verify, hash, n, concurrency);
    libs[name] = { ...result, offMainThread: result.eventLoopDelayMaxMs < BLOCKING_THRESHOLD_MS };
  }
  const ranked = Object.entries(libs)
    .filter(([, r]) => r.offMainThread)
    .sort(([, a], [, b]) => b.opsPerSec - a.opsPerSec);
  return {
    cost,
    concurrency,
    verificationsPerLib: total,
    libs,
    fastestOffMainThread: ranked[0]?.[0] ?? 'none',
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await benchHashLibs();
  console.log(`bcrypt verify, cost ${report.cost}, ${report.concurrency} concurrent`);
  for (const [name, r] of Object.entries(report.libs)) {
    console.log(
      `${name.padEnd(16)} ${String(r.opsPerSec).padStart(8)} ops/s  ` +
        `event-loop delay p99 ${r.eventLoopDelayP99Ms} ms, max ${r.eventLoopDelayMaxMs} ms` +
        (r.offMainThread ? '' : '  (blocks the event loop)'),
    );
  }
  console.log(`fastest off the main thread: ${report.fastestOffMainThread}`);
}
