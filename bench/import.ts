// Bulk-import throughput and memory: N generated be_users rows in a fresh MariaDB database,
// a fresh PostgreSQL store, and the reference target in a process of its own (so the rate
// is the import's, not the two sharing one event loop). Run: npx tsx bench/import.ts 100000
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.ts';
import { createLegacySource } from '../src/legacy/source.ts';
import { runImport } from '../src/migration/import.ts';
import { createStore } from '../src/store/db.ts';
import { generateBeUsers, targetDeps } from '../test/import/support.ts';
import { createMariaDatabase, createPgDatabase } from '../test/support/databases.ts';

const BIN = fileURLToPath(new URL('../bin/oidc-bridge.js', import.meta.url));

export interface ImportBenchResult {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  peakRssMb: number;
  generateSeconds: number;
}

async function startTargetProcess(port: number) {
  // The target keeps every user in memory: a million of them need more than the default heap.
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=8192', BIN, 'reference-target', '--port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, stop: () => child.kill('SIGTERM') };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the reference target did not start');
}

export async function benchImport({
  rows,
  batch = 500,
  concurrency = 4,
}: {
  rows: number;
  batch?: number;
  concurrency?: number;
}): Promise<ImportBenchResult> {
  const [legacyDb, storeDb] = await Promise.all([createMariaDatabase('bench'), createPgDatabase('bench')]);
  const target = await startTargetProcess(41_000 + Math.floor(Math.random() * 10_000));
  try {
    const generated = await generateBeUsers(legacyDb.url, rows);
    const config = parseConfig({
      database: storeDb.url,
      legacy: { connection: legacyDb.url, table: 'be_users', query_timeout_ms: 60_000 },
      target: { type: 'http', url: `${target.url}/api/users/import`, timeout_ms: 60_000 },
    });
    const store = createStore({ database: storeDb.url });
    const legacy = createLegacySource(config.legacy!);
    try {
      await store.migrate();
      const summary = await runImport(
        { config, db: store.db, ...targetDeps(config), legacy },
        { batch, concurrency },
      );
      if (summary.counts.delivered !== generated.importable) {
        throw new Error(`delivered ${summary.counts.delivered}, expected ${generated.importable}`);
      }
      return {
        rows: summary.counts.rows,
        seconds: Math.round(summary.seconds * 10) / 10,
        rowsPerSec: summary.rows_per_sec,
        // maxRSS is in kilobytes: the peak of this process, the import's side only.
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        generateSeconds: Math.round(generated.seconds * 10) / 10,
      };
    } finally {
      await legacy.close();
      await store.close();
    }
  } finally {
    target.stop();
    await legacyDb.drop();
    await storeDb.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = Number(process.argv[2] ?? 100_000);
  const batch = process.argv[3] ? Number(process.argv[3]) : undefined;
  const concurrency = process.argv[4] ? Number(process.argv[4]) : undefined;
  const result = await benchImport({
    rows,
    ...(batch ? { batch } : {}),
    ...(concurrency ? { concurrency } : {}),
  });
  console.log(JSON.stringify(result));
}
