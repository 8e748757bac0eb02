// A delivery worker in a process of its own, for the tests that need real separate
// processes (two replicas; a worker killed with SIGKILL mid-delivery). The configuration
// comes as JSON in WORKER_CONFIG; WORKER_LEASE_MS sets a short lease. Prints "ready".
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startDeliveryWorker } from '../../src/migration/worker.ts';
import { createServices } from '../../src/services.ts';
import { createStore } from '../../src/store/db.ts';

export const WORKER_ENTRY = fileURLToPath(import.meta.url);

/** Starts this file as a child process and resolves once its worker runs. */
export function spawnWorker(config: unknown, leaseMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
    env: {
      ...process.env,
      WORKER_MAIN: '1',
      WORKER_CONFIG: JSON.stringify(config),
      WORKER_LEASE_MS: String(leaseMs),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready:\n${output}`));
    });
  });
  return { child, ready, exited, output: () => output };
}

async function main(): Promise<void> {
  const config = parseConfig(JSON.parse(process.env.WORKER_CONFIG ?? '{}'));
  const store = createStore({ database: config.database, pool: { max: 4 } });
  const services = createServices(config, {
    store,
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const worker = startDeliveryWorker(services, { leaseMs: Number(process.env.WORKER_LEASE_MS ?? 2000) });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void worker
      .stop()
      .then(() => store.close())
      .then(() => process.exit(0));
  });
}

if (process.env.WORKER_MAIN === '1') await main();
