// The worker-thread entry point of the crypt pool: runs one CryptTask and returns the
// checksum it computes. Loaded by piscina from worker-pool.ts, as .ts (through tsx) or as
// the compiled .js in dist/.

import { type CryptTask, runCryptTask } from './crypt-algorithms.ts';

export default function cryptWorker(task: CryptTask): string {
  return runCryptTask(task);
}
