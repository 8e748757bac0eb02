// The worker-thread pools: the pure-JavaScript hash algorithms (md5-crypt, SHA-crypt, phpass)
// here, the password strength estimate in src/security/password-policy.ts. Each spends
// milliseconds to seconds of CPU, which must never stall the event loop that serves logins.
// Works from the .ts sources (tsx CLI, vitest) and from dist/.

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { CryptTask } from './crypt-algorithms.ts';

/**
 * A worker thread starts as a plain Node.js thread: loaders registered in the main thread
 * (tsx's `register()`, vitest's transform) do not reach it. Running from .ts sources, the
 * worker therefore imports tsx's loader itself, resolved from this package so that it works
 * from any working directory. `entry` is the worker's module, as a .ts URL next to its caller.
 */
function workerOptions(entry: URL): { filename: string; execArgv: string[] } {
  const runningFromSource = import.meta.url.endsWith('.ts');
  const filename = fileURLToPath(runningFromSource ? entry : new URL(entry.href.replace(/\.ts$/, '.js')));
  if (!runningFromSource) return { filename, execArgv: [] };
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename, execArgv: ['--import', tsxLoader] };
}

/**
 * A pool of worker threads started on first use. Idle threads go away after `idleTimeout`
 * and never keep the process alive, so a CLI command that used one can exit promptly.
 */
export function lazyWorkerPool(entry: URL, opts: { maxThreads: number; idleTimeout: number }) {
  let pool: Piscina | undefined;
  return {
    run<T>(task: unknown): Promise<T> {
      pool ??= new Piscina({ ...workerOptions(entry), minThreads: 0, ...opts });
      return pool.run(task) as Promise<T>;
    },
    /** Stops the threads (graceful shutdown, end of a test file). A later task starts new ones. */
    async close(): Promise<void> {
      const current = pool;
      pool = undefined;
      if (current) await current.destroy();
    },
  };
}

const crypt = lazyWorkerPool(new URL('./crypt-worker.ts', import.meta.url), {
  maxThreads: Math.max(1, Math.min(4, availableParallelism())),
  idleTimeout: 10_000,
});

/** Runs one crypt task on a worker thread and resolves with the checksum it computed. */
export function runInWorker(task: CryptTask): Promise<string> {
  return crypt.run<string>(task);
}

/** Stops the worker threads (graceful shutdown, end of a test file). A later task starts a new pool. */
export function closeWorkerPool(): Promise<void> {
  return crypt.close();
}
