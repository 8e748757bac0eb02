// The embedded store's directory holds every token, key and account of the bridge, so it is
// the bridge user's alone: data_dir and the store under it are made 0700 (directories) and
// 0600 (files) whatever the umask, at start and again at close, since PGlite writes its files
// 0666 on its own. A directory the bridge cannot make private stops the start.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeError } from '../errors.ts';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Creates `dir` inside `root` private, or makes existing ones private: `root` itself (not what
 * else it may hold) and everything under `dir`. Then checks that nothing is left open.
 */
export function ensurePrivateDir(root: string, dir: string): void {
  let open: string[];
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    if ((lstatSync(root).mode & 0o777) !== DIR_MODE) chmodSync(root, DIR_MODE);
    restrict(dir);
    open = [root, ...openToOthers(dir)].filter((p) => (lstatSync(p).mode & 0o077) !== 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new BridgeError(
      'data_dir_unusable',
      `data_dir ${JSON.stringify(root)} cannot be made private to this user (${code}). Fix: run the bridge as the directory's owner, or point data_dir at a directory it owns.`,
    );
  }
  if (open.length > 0) {
    throw new BridgeError(
      'data_dir_unusable',
      `data_dir ${JSON.stringify(root)} stays readable by others after chmod (${open[0]}): its file system ignores permissions. Fix: put data_dir on a file system that keeps Unix modes.`,
    );
  }
}

/** Sets 0700 on every directory and 0600 on every file under `path`; links are left alone. */
export function restrict(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o777) !== DIR_MODE) chmodSync(path, DIR_MODE);
    for (const name of readdirSync(path)) restrict(join(path, name));
  } else if ((st.mode & 0o777) !== FILE_MODE) {
    chmodSync(path, FILE_MODE);
  }
}

/** Paths under `path` that group or others may read, write or enter (for a check at start). */
export function openToOthers(path: string): string[] {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return [];
  const here = (st.mode & 0o077) !== 0 ? [path] : [];
  if (!st.isDirectory()) return here;
  return [...here, ...readdirSync(path).flatMap((name) => openToOthers(join(path, name)))];
}
