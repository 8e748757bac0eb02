// The worker-thread pool for the pure-JavaScript hash algorithms (md5-crypt, SHA-crypt,
// phpass): they spend milliseconds to seconds of CPU each, which must never stall the event
// loop that serves logins. Works from the .ts sources (tsx CLI, vitest) and from dist/.

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { CryptTask } from './crypt-algorithms.ts';

let pool: Piscina | undefined;

/**
 * A worker thread starts as a plain Node.js thread: loaders registered in the main thread
 * (tsx's `register()`, vitest's transform) do not reach it. Running from .ts sources, the
 * worker therefore imports tsx's loader itself, resolved from this package so that it works
 * from any working directory.
 */
function workerOptions(): { filename: string; execArgv: string[] } {
  const runningFromSource = import.meta.url.endsWith('.ts');
  const filename = fileURLToPath(
    new URL(`./crypt-worker.${runningFromSource ? 'ts' : 'js'}`, import.meta.url),
  );
  if (!runningFromSource) return { filename, execArgv: [] };
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename, execArgv: ['--import', tsxLoader] };
}

function getPool(): Piscina {
  if (!pool) {
    const { filename, execArgv } = workerOptions();
    pool = new Piscina({
      filename,
      execArgv,
      minThreads: 0,
      maxThreads: Math.max(1, Math.min(4, availableParallelism())),
      // Idle threads go away, so a CLI command that verified one hash can exit promptly.
      idleTimeout: 10_000,
    });
  }
  return pool;
}

/** Runs one crypt task on a worker thread and resolves with the checksum it computed. */
export function runInWorker(task: CryptTask): Promise<string> {
  return getPool().run(task) as Promise<string>;
}

/** Stops the worker threads (graceful shutdown, end of a test file). A later task starts a new pool. */
export async function closeWorkerPool(): Promise<void> {
  const current = pool;
  pool = undefined;
  if (current) await current.destroy();
}
