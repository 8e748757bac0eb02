// What most commands need: the validated configuration and an open, migrated store. The
// store is closed whatever happens, so a command never leaves a pool or a lock behind.
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { silentLogger } from '../logger.ts';
import type { Audit } from '../security/audit.ts';
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
    return await fn({ config, store, box, audit });
  } finally {
    await store.close();
  }
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cell = (v: unknown) =>
    v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(' ') : v == null ? '' : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}
