// Known-answer vectors made outside this project (vectors/*.json, written by the generators
// in generators/ with passlib and hashlib, php-cli and mkpasswd; each names its source and
// tool). Every vector verifies, its negative twin is refused, and auto-detection picks the
// verifier it belongs to.

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { UnusableHashError } from '../../src/errors.ts';
import { closeWorkerPool, detectScheme, verifierById, verifyPassword } from '../../src/hashing/registry.ts';

interface GeneratedVector {
  family: string;
  verifier: string | null;
  password: string;
  stored: string;
  wrong: string;
  salt?: string;
  pepper?: string;
  scheme?: string;
  source: string;
  tool: string;
}

const load = (name: string): GeneratedVector[] =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}.json`, import.meta.url), 'utf8'));

const vectors = [...load('python'), ...load('php'), ...load('mkpasswd')];

afterAll(() => closeWorkerPool());

const label = (v: GeneratedVector) =>
  `${v.stored.length > 40 ? `${v.stored.slice(0, 37)}...` : v.stored} (${v.source}; ${v.tool})`;

async function refused(v: GeneratedVector): Promise<boolean> {
  try {
    return !(
      await verifyPassword({
        password: v.wrong,
        stored: v.stored,
        salt: v.salt,
        pepper: v.pepper,
        scheme: v.scheme,
      })
    ).match;
  } catch (err) {
    if (err instanceof UnusableHashError) return true;
    throw err;
  }
}

describe('generated vectors', () => {
  it('cover every family, each vector with its source, tool and negative twin', () => {
    expect(vectors.length).toBeGreaterThan(200);
    for (const v of vectors) {
      expect(v.source.length, v.stored).toBeGreaterThan(5);
      expect(v.tool.length, v.stored).toBeGreaterThan(5);
      expect(v.wrong, v.stored).not.toBe(v.password);
    }
  });

  describe.each([...new Set(vectors.map((v) => v.family))])('%s', (family) => {
    const mine = vectors.filter((v) => v.family === family).map((v) => [label(v), v] as const);

    it.each(mine)('verify the right password for %s', async (_, v) => {
      const result = await verifyPassword({
        password: v.password,
        stored: v.stored,
        salt: v.salt,
        pepper: v.pepper,
        scheme: v.scheme,
      });
      expect(result.match).toBe(true);
    });

    it.each(mine)('refuse the negative twin for %s', async (_, v) => {
      expect(await refused(v)).toBe(true);
    });

    const detectable = mine.filter(
      ([, v]) => v.verifier && !v.scheme && !verifierById(v.verifier)?.presetOnly,
    );
    if (detectable.length) {
      it.each(detectable)('detect the verifier of %s', (_, v) => {
        expect(detectScheme(v.stored)?.id).toBe(v.verifier);
      });
    }
  });
});

describe('the negatives the false matches were made of', () => {
  const vbulletin = vectors.find((v) => v.scheme === 'bcrypt(md5(password))')!;

  it('refuse the md5 hex of the password against a vBulletin 5 hash', async () => {
    const result = await verifyPassword({
      password: vbulletin.wrong,
      stored: vbulletin.stored,
      scheme: vbulletin.scheme,
    });
    expect(result.match).toBe(false);
  });

  it('refuse every bcrypt vector given a salt it never reads', async () => {
    for (const v of vectors.filter((x) => x.verifier === 'bcrypt')) {
      await expect(
        verifyPassword({ password: v.password, stored: v.stored, salt: 'unused-salt' }),
      ).rejects.toMatchObject({
        reason: 'salt_unused',
      });
    }
  });
});
