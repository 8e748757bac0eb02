// Runs every known-answer vector through the registry: the right password matches, a wrong
// one does not, and auto-detection picks the verifier the vector belongs to.

import { afterAll, describe, expect, it } from 'vitest';
import { closeWorkerPool, detectScheme, verifyPassword } from '../../src/hashing/registry.ts';
import { allVectors, type HashVector } from './vectors.ts';

/** A wrong password that differs in the first character, so 72-byte truncation cannot hide it. */
function wrongPassword(password: string): string {
  if (password === '') return 'x';
  return (password.startsWith('X') ? 'Y' : 'X') + password.slice(1);
}

function label(v: HashVector): string {
  const shown = v.stored.length > 48 ? `${v.stored.slice(0, 45)}...` : v.stored;
  return `${shown}${v.scheme ? ` as ${v.scheme}` : ''} (${v.source})`;
}

afterAll(() => closeWorkerPool());

describe('the known-answer vectors', () => {
  it('hold at least 100 vectors over every family', () => {
    expect(allVectors.length).toBeGreaterThanOrEqual(100);
    const families = new Set(allVectors.map((v) => v.family));
    for (const family of [
      'bcrypt',
      'argon2',
      'django',
      'phpass',
      'md5_crypt',
      'sha_crypt',
      'ldap',
      'mysql41',
      'pbkdf2',
      'target_form',
      'bare_digest',
      'expression',
    ]) {
      expect(families, family).toContain(family);
    }
  });

  it('cite a source for every vector', () => {
    for (const v of allVectors) expect(v.source.length, v.stored).toBeGreaterThan(5);
  });
});

describe.each([...new Set(allVectors.map((v) => v.family))])('%s vectors', (family) => {
  const vectors = allVectors.filter((v) => v.family === family);

  it.each(vectors.map((v) => [label(v), v] as const))('accept the right password for %s', async (_, v) => {
    const result = await verifyPassword({
      password: v.password,
      stored: v.stored,
      salt: v.salt,
      scheme: v.scheme,
    });
    expect(result.match).toBe(true);
  });

  it.each(vectors.map((v) => [label(v), v] as const))('reject a wrong password for %s', async (_, v) => {
    const result = await verifyPassword({
      password: wrongPassword(v.password),
      stored: v.stored,
      salt: v.salt,
      scheme: v.scheme,
    });
    expect(result.match).toBe(false);
  });

  const detectable = vectors.filter((v) => v.verifier !== undefined);
  if (detectable.length > 0) {
    it.each(detectable.map((v) => [label(v), v] as const))('detect the verifier of %s', (_, v) => {
      expect(detectScheme(v.stored, v.salt)?.id).toBe(v.verifier);
    });
  }
});
