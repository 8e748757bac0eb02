// Starts a real bridge for a test: its own PostgreSQL database (or the embedded store), a
// free port, the issuer at that port, and logs captured in memory so tests can search
// them for secrets. Returns what a test needs to drive it and tear it down.
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { type Bridge, createBridge } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createLogger } from '../../src/logger.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createClientStore } from '../../src/oidc/clients.ts';
import { freePort } from '../../src/util/free-port.ts';
import { createPgDatabase, type TestDatabase } from './databases.ts';
import { captureLogLine, registerSecret } from './secrets.ts';

export const logLines: string[] = [];

export { freePort };

export interface TestBridge {
  bridge: Bridge;
  config: Config;
  url: string;
  /** The login port's HTTP server. */
  server: Server;
  database: TestDatabase;
  logs: string[];
  addClient(c: {
    id: string;
    redirectUris: string[];
    secret?: string;
    public?: boolean;
    firstParty?: boolean;
    postLogoutRedirectUris?: string[];
    introspectFor?: string[];
  }): Promise<void>;
  /** A local account with an argon2id hash of `password`, as a migrated user has. */
  addAccount(a: {
    sub: string;
    password: string;
    claims: Record<string, unknown>;
    identifiers: string[];
  }): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBridge(
  raw: Record<string, unknown> = {},
  opts: { keyRefreshMs?: number; database?: TestDatabase; legacyDb?: Knex } = {},
): Promise<TestBridge> {
  const database = opts.database ?? (await createPgDatabase());
  const port = await freePort();
  const config = parseConfig({
    issuer: `http://127.0.0.1:${port}`,
    port,
    host: '127.0.0.1',
    database: database.url,
    log_level: 'debug',
    // Tests sign legacy users in with short passwords on purpose; the prompt for a new one
    // after a weak legacy password has tests of its own, which ask for it.
    password_policy: { prompt_weak_legacy: 'off' },
    ...raw,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      const line = chunk.toString();
      logs.push(line);
      logLines.push(line);
      captureLogLine(line);
      cb();
    },
  });
  const bridge = await createBridge(config, {
    logger: createLogger({ level: 'debug', destination }),
    keyRefreshMs: opts.keyRefreshMs,
    ...(opts.legacyDb ? { legacyDb: opts.legacyDb } : {}),
  });
  const { url, server } = await bridge.listen(port, '127.0.0.1');
  return {
    bridge,
    server,
    config,
    url,
    database,
    logs,
    async addClient(c) {
      if (c.secret && c.secret.length >= 8) registerSecret('client_secret', c.secret);
      await createClientStore(bridge.store.db, bridge.box).add(c);
    },
    async addAccount(a) {
      const passwordHash = await hashBridgePassword(a.password);
      await bridge.store.db.transaction(async (trx) => {
        await createAccounts(bridge.store.db).insert(trx, {
          sub: a.sub,
          passwordHash,
          claims: a.claims,
          source: 'local',
          identifiers: a.identifiers,
        });
      });
    },
    async close() {
      await bridge.stop();
      if (!opts.database) await database.drop();
    },
  };
}

/** Legacy lookups the bridge's logins made so far (the legacy lookup histogram's count). */
export async function legacyLookups(bridge: {
  metrics: {
    legacyLookupSeconds: { get(): Promise<{ values: Array<{ value: number; metricName?: string }> }> };
  };
}): Promise<number> {
  const { values } = await bridge.metrics.legacyLookupSeconds.get();
  return values.filter((v) => v.metricName?.endsWith('_count')).reduce((n, v) => n + v.value, 0);
}
