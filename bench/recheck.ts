// What the coexistence re-check costs a migrated user's login: one lookup of the legacy row
// by its primary key with the legacy.where filter, on MariaDB's be_users, against the
// argon2id verification every such login already pays. Run: npx tsx bench/recheck.ts
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.ts';
import { hashBridgePassword, verifyBridgePassword } from '../src/hashing/bridge-hash.ts';
import { createLegacySource } from '../src/legacy/source.ts';
import { legacyFixture } from './support/servers.ts';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export async function benchRecheck(opts: { users?: number; lookups?: number } = {}) {
  const users = opts.users ?? 5000;
  const lookups = opts.lookups ?? 2000;
  const fixture = await legacyFixture(users, 4);
  const config = parseConfig({
    ...fixture.bridgeConfig,
    legacy: { ...(fixture.bridgeConfig.legacy as Record<string, unknown>), where: { is_logged: 0 } },
  });
  const legacy = createLegacySource(config.legacy!);
  try {
    await legacy.checkSchema();
    const times: number[] = [];
    for (let i = 0; i < lookups; i++) {
      const id = String(100_000 + ((i * 7919) % users));
      const t0 = process.hrtime.bigint();
      const row = await legacy.findById(id);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!row) throw new Error(`row ${id} not found`);
    }
    const hash = await hashBridgePassword('bench-password');
    const argon: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = process.hrtime.bigint();
      await verifyBridgePassword('bench-password', hash);
      argon.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return {
      users,
      lookups,
      recheckP50Ms: Math.round(percentile(times, 50) * 100) / 100,
      recheckP99Ms: Math.round(percentile(times, 99) * 100) / 100,
      argon2idP50Ms: Math.round(percentile(argon, 50) * 10) / 10,
    };
  } finally {
    await legacy.close();
    await fixture.legacy.drop();
    await fixture.store.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchRecheck()));
  process.exit(0);
}
