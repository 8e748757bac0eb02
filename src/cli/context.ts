// What most commands need: the validated configuration and an open, migrated store. The
// store is closed whatever happens, so a command never leaves a pool or a lock behind.
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { silentLogger } from '../logger.ts';
import type { Audit } from '../security/audit.ts';
import { escapeForTerminal } from '../security/identifier-key.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { createServices } from '../services.ts';
import { createStore, type Store, storeOptions } from '../store/db.ts';
import type { Io } from './framework.ts';

export function configFrom(values: Record<string, unknown>, io: Io): Config {
  return loadConfig(resolveConfigPath(values.config as string | undefined, io.env), io.env);
}

export interface StoreContext {
  config: Config;
  store: Store;
  box: SecretBox;
  audit: Audit;
}

export const UNSEALED_WARNING =
  'warning: no key_encryption_key is set: this secret is stored unencrypted in the bridge store. Set OIDC_BRIDGE_KEY (openssl rand -base64 32) to encrypt it.';

/** Without a key encryption key, the first secret a command writes warns, as `start` does. */
function warnWhenUnsealed(box: SecretBox, io: Io): SecretBox {
  if (box.enabled) return box;
  let warned = false;
  return {
    enabled: false,
    open: (stored) => box.open(stored),
    seal(plain) {
      if (!warned) io.err(UNSEALED_WARNING);
      warned = true;
      return box.seal(plain);
    },
  };
}

export async function withStore<T>(
  values: Record<string, unknown>,
  io: Io,
  fn: (c: StoreContext) => Promise<T>,
): Promise<T> {
  const config = configFrom(values, io);
  const store = createStore(storeOptions(config));
  try {
    await store.migrate();
    const { box, audit } = createServices(config, { store, logger: silentLogger });
    return await fn({ config, store, box: warnWhenUnsealed(box, io), audit });
  } finally {
    await store.close();
  }
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  // Cells may hold what anonymous users typed: an ESC or a CR/LF must not reach the terminal.
  const cell = (v: unknown) =>
    escapeForTerminal(
      v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(' ') : v == null ? '' : String(v),
    );
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}
