// The bridge's own argon2id hash for migrated accounts.

import { describe, expect, it } from 'vitest';
import { UnusableHashError } from '../../src/errors.ts';
import {
  BRIDGE_ARGON2_PARAMS,
  bridgeHashNeedsRehash,
  hashBridgePassword,
  verifyBridgePassword,
} from '../../src/hashing/bridge-hash.ts';

describe('bridge password hash', () => {
  it("uses argon2id with OWASP's parameters: 19456 KiB, 2 passes, 1 lane", async () => {
    expect(BRIDGE_ARGON2_PARAMS).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const hash = await hashBridgePassword('correct horse');
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash).toMatch(/m=19456/);
    expect(hash).toMatch(/t=2/);
    expect(hash).toMatch(/p=1/);
    expect(bridgeHashNeedsRehash(hash)).toBe(false);
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hash = await hashBridgePassword('p\u00e4ssw\u00f6rd');
    expect(await verifyBridgePassword('p\u00e4ssw\u00f6rd', hash)).toBe(true);
    expect(await verifyBridgePassword('passwort', hash)).toBe(false);
  });

  it('salts every hash afresh', async () => {
    expect(await hashBridgePassword('same')).not.toBe(await hashBridgePassword('same'));
  });

  it('calls a stored value that is no argon2 hash unusable, not a mismatch', async () => {
    await expect(verifyBridgePassword('x', '$2y$10$abc')).rejects.toBeInstanceOf(UnusableHashError);
    await expect(verifyBridgePassword('x', '$argon2id$v=19$garbage')).rejects.toMatchObject({
      reason: 'malformed',
    });
  });

  it('asks for a re-hash of a weaker argon2 hash', () => {
    const weaker = '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
    expect(bridgeHashNeedsRehash(weaker)).toBe(true);
  });
});
