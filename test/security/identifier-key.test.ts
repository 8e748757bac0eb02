// The guard's collation key against MariaDB's own collations: every two characters that
// utf8mb4_general_ci, _unicode_ci or _unicode_520_ci weigh alike get one key, so no spelling
// the legacy table would match has a counter of its own.
import knexPkg from 'knex';
import { describe, expect, it } from 'vitest';
import { collationKey } from '../../src/security/identifier-key.ts';
import { MARIADB_ADMIN_URL } from '../support/databases.ts';

const { knex } = knexPkg;

function characters(): string[] {
  const out: string[] = [];
  const range = (from: number, to: number) => {
    for (let cp = from; cp <= to; cp++) out.push(String.fromCodePoint(cp));
  };
  range(0x01, 0x2af); // controls, Latin-1, Latin Extended A and B, IPA
  range(0x1e00, 0x1eff); // Latin Extended Additional
  range(0xff01, 0xff5e); // fullwidth ASCII
  for (const cp of [0x34f, 0x180e, 0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0xfe0f, 0xfeff]) {
    out.push(String.fromCodePoint(cp));
  }
  return out;
}

describe('the collation key', () => {
  it.each(['utf8mb4_general_ci', 'utf8mb4_unicode_ci', 'utf8mb4_unicode_520_ci'])(
    'gives one key to every spelling %s treats as equal',
    async (collation) => {
      const db = knex({ client: 'mysql2', connection: MARIADB_ADMIN_URL, pool: { min: 0, max: 1 } });
      try {
        const chars = characters();
        const byWeight = new Map<string, string[]>();
        // Each character between two letters, so an ignorable one still makes a string.
        for (let i = 0; i < chars.length; i += 200) {
          const batch = chars.slice(i, i + 200);
          const select = batch
            .map((_, j) => `HEX(WEIGHT_STRING(CONVERT(? USING utf8mb4) COLLATE ${collation})) AS w${j}`)
            .join(', ');
          const [rows] = await db.raw(
            `SELECT ${select}`,
            batch.map((c) => `a${c}a`),
          );
          const row = (rows as Array<Record<string, string>>)[0]!;
          batch.forEach((c, j) => {
            const w = row[`w${j}`]!;
            byWeight.set(w, [...(byWeight.get(w) ?? []), c]);
          });
        }
        const split: string[] = [];
        for (const group of byWeight.values()) {
          const keys = new Set(group.map((c) => collationKey(`a${c}a`)));
          if (keys.size > 1) split.push(group.join(''));
        }
        expect(split).toEqual([]);
        expect(byWeight.size).toBeGreaterThan(30);
      } finally {
        await db.destroy();
      }
    },
  );

  it('folds what the report named: fullwidth, accents, zero-width space, soft hyphen, ß', () => {
    for (const s of ['ｖｉｃｔｉｍ', 'víctim', 'victim\u200b', 'VÍCTIM', 'vic\u00adtim', ' Victim ']) {
      expect(collationKey(s)).toBe(collationKey('victim'));
    }
    expect(collationKey('Straße')).toBe(collationKey('STRASSE'));
  });
});
