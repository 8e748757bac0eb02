// Embedded PostgreSQL (PGlite) for the demo, started fast. A new PGlite runs initdb, which
// takes seconds; so the first run keeps a copy of a pristine cluster in the user's cache
// directory and later runs load that instead. Any trouble with the cache falls back to initdb.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import knexPkg, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Logger } from '../logger.ts';
import { createStore, type Store } from '../store/db.ts';

const { knex } = knexPkg;
const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

function pgliteVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
    return (require(pkg) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Where the pristine cluster is kept; undefined when there is no usable home. */
export function clusterCacheFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : '');
  if (!base) return undefined;
  return join(base, 'oidc-bridge', `pglite-${pgliteVersion()}-initdb.tar.gz`);
}

let pristine: Promise<Blob | undefined> | undefined;
let writing = false;

async function readPristine(file: string): Promise<Blob | undefined> {
  try {
    return new Blob([await gunzipAsync(await readFile(file))]);
  } catch {
    return undefined;
  }
}

async function keepPristine(file: string, db: PGlite, logger: Logger): Promise<void> {
  if (writing) return;
  writing = true;
  try {
    const tar = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // Written aside and renamed: a concurrent demo never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, await gzipAsync(tar), { mode: 0o600 });
    await rename(partial, file);
    logger.debug({ file }, 'kept a pristine PGlite cluster for faster demo starts');
  } catch (err) {
    logger.debug(
      { err: { message: (err as Error).message } },
      'could not keep a PGlite cluster; next start runs initdb',
    );
  }
}

/** A new, empty in-memory PGlite. */
export async function openEmbeddedPostgres(logger: Logger, env?: NodeJS.ProcessEnv): Promise<PGlite> {
  const file = clusterCacheFile(env);
  pristine ??= file ? readPristine(file) : Promise.resolve(undefined);
  const cluster = await pristine;
  if (cluster) {
    try {
      const db = new PGlite({ loadDataDir: cluster });
      await db.waitReady;
      return db;
    } catch (err) {
      logger.debug(
        { err: { message: (err as Error).message } },
        'cached PGlite cluster unusable; running initdb',
      );
    }
  }
  const db = new PGlite();
  await db.waitReady;
  if (file) await keepPristine(file, db, logger);
  return db;
}

/** A knex instance over a PGlite; destroying it closes the PGlite. */
export function knexOn(pglite: PGlite): Knex {
  return knex({ client: ClientPgLite, dialect: 'postgres', connection: { pglite } } as Knex.Config);
}

/** The bridge store on an in-memory PGlite, as createStore({ memory: true }) makes it. */
export function memoryStoreOn(pglite: PGlite): Store {
  return createStore({ pglite });
}
