// The configured password schemes are checked at start: a typo or an expression that does not
// parse stops the start with the key and the fix, instead of failing every login.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

const legacy = (password: Record<string, unknown>, columns: Record<string, unknown> = {}) => ({
  legacy: { connection: 'mysql://u@127.0.0.1/shop', table: 'users', columns, password },
});

function issues(raw: unknown): string[] {
  try {
    parseConfig(raw, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('legacy.password.scheme at start', () => {
  it('refuses a misspelt scheme name, naming the key and the nearest name', () => {
    const [issue] = issues(legacy({ scheme: 'atuo' }));
    expect(issue).toContain('legacy.password.scheme');
    expect(issue).toContain('Did you mean auto?');
  });

  it('refuses an expression that does not parse, naming the position', () => {
    const [issue] = issues(legacy({ scheme: 'sha1(salt + password' }));
    expect(issue).toContain('legacy.password.scheme');
    expect(issue).toContain('position');
  });

  it('accepts auto, a verifier id, a preset and an expression', () => {
    for (const scheme of [
      'auto',
      'bcrypt',
      'symfony-message-digest',
      'bcrypt(md5(password))',
      'hmac_sha256(pepper, password)',
    ]) {
      expect(issues(legacy({ scheme, pepper: 'p3pper-value' })), scheme).toEqual([]);
    }
  });

  it('checks every scheme a scheme column maps to, and wants the column and the map together', () => {
    const [bad] = issues(
      legacy({ schemes: { pbkdf2: 'pbkdf2_sha256(password, salt)' } }, { scheme: 'passwd_hash_algo' }),
    );
    expect(bad).toContain('legacy.password.schemes.pbkdf2');
    expect(issues(legacy({ schemes: { bcrypt: 'bcrypt' } }))[0]).toContain('legacy.columns.scheme');
    expect(issues(legacy({}, { scheme: 'passwd_hash_algo' }))[0]).toContain('legacy.password.schemes');
  });

  it('reads the pepper from the environment like every other value', () => {
    const cfg = parseConfig(legacy({ scheme: 'bcrypt(password + pepper)', pepper: '${APP_PEPPER}' }), {
      APP_PEPPER: 'from-env-1',
    });
    expect(cfg.legacy?.password.pepper).toBe('from-env-1');
  });
});
