// Reading legacy TOTP secrets: Laravel's encrypter (known-answer vectors made by php-cli
// running Laravel's own encrypt(), and a fresh one made now), the three encodings, the
// failures (wrong key, tampered MAC or tag, garbage) and the configuration checks at start.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { legacyTotpSchema } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { laravelDecrypt, parseLaravelKey } from '../../src/mfa/laravel-encrypter.ts';
import { createLegacyTotpReader, LegacyTotpError } from '../../src/mfa/legacy-totp.ts';
import { checkTotp, totpCode } from '../../src/mfa/totp.ts';

const PHP_ENCRYPT = fileURLToPath(new URL('./fixtures/laravel-encrypt.php', import.meta.url));
const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/laravel-vectors.json', import.meta.url), 'utf8'),
) as Array<{ name: string; key: string; cipher: string; value: string; mode: string; payload: string }>;
const KEY = vectors[0]!.key;
const OTHER_KEY = 'base64:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const hasPhp = (() => {
  try {
    execFileSync('php', ['-v']);
    return true;
  } catch {
    return process.env.CI === 'true';
  }
})();

function reader(totp: Record<string, unknown>) {
  return createLegacyTotpReader(legacyTotpSchema.parse(totp));
}

function tamper(payload: string, field: 'mac' | 'value' | 'tag'): string {
  const e = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  const b = Buffer.from(e[field], field === 'mac' ? 'hex' : 'base64');
  b[0]! ^= 1;
  e[field] = field === 'mac' ? b.toString('hex') : b.toString('base64');
  return Buffer.from(JSON.stringify(e)).toString('base64');
}

describe("Laravel's encrypter", () => {
  for (const v of vectors) {
    it(`opens ${v.name} as php-cli wrote it`, () => {
      expect(laravelDecrypt(v.payload, [parseLaravelKey(v.key)!]).toString('latin1')).toBe(v.value);
    });
  }

  it.skipIf(!hasPhp)('opens a value php-cli encrypts now, serialized or not, with CBC and GCM', () => {
    for (const [cipher, mode] of [
      ['aes-256-cbc', 'serialize'],
      ['aes-256-cbc', 'string'],
      ['aes-256-gcm', 'serialize'],
    ] as const) {
      const payload = execFileSync('php', [PHP_ENCRYPT, KEY, cipher, 'NB2W45DFOIZA', mode]).toString();
      expect(laravelDecrypt(payload, [parseLaravelKey(KEY)!]).toString()).toBe('NB2W45DFOIZA');
    }
  });

  it('tries previous keys after the current one, as APP_PREVIOUS_KEYS does', () => {
    expect(
      laravelDecrypt(vectors[0]!.payload, [parseLaravelKey(OTHER_KEY)!, parseLaravelKey(KEY)!]).toString(),
    ).toBe(vectors[0]!.value);
  });

  it('refuses a value under another key, a changed MAC or value, and a changed GCM tag', () => {
    const cbc = vectors[0]!.payload;
    const gcm = vectors.find((v) => v.cipher === 'aes-256-gcm')!.payload;
    const key = [parseLaravelKey(KEY)!];
    expect(() => laravelDecrypt(cbc, [parseLaravelKey(OTHER_KEY)!])).toThrow(/mac_invalid/);
    expect(() => laravelDecrypt(tamper(cbc, 'mac'), key)).toThrow(/mac_invalid/);
    expect(() => laravelDecrypt(tamper(cbc, 'value'), key)).toThrow(/mac_invalid/);
    expect(() => laravelDecrypt(tamper(gcm, 'tag'), key)).toThrow(/decrypt_failed/);
    expect(() => laravelDecrypt('not base64 json', key)).toThrow(/not_a_payload/);
  });

  it('reads APP_KEY as .env holds it, and refuses keys of the wrong length', () => {
    expect(parseLaravelKey(KEY)).toHaveLength(32);
    expect(parseLaravelKey('0123456789abcdef')).toHaveLength(16);
    expect(parseLaravelKey('base64:c2hvcnQ=')).toBeUndefined();
  });
});

describe('the legacy TOTP column', () => {
  const base32 = 'JBSWY3DPEHPK3PXP';

  it('reads base32 (any case, spaces, padding), hex and raw secrets alike', () => {
    expect(reader({}).read('jbsw y3dp ehpk 3pxp')?.secret).toBe(base32);
    expect(reader({}).read(`${base32}======`)?.secret).toBe(base32);
    expect(reader({ encoding: 'hex' }).read('48656c6c6f21deadbeef')?.secret).toBe(base32);
    expect(reader({ encoding: 'raw' }).read(Buffer.from('48656c6c6f21deadbeef', 'hex'))?.secret).toBe(base32);
  });

  it('opens a Fortify two_factor_secret with the app key, and its codes verify', () => {
    const v = vectors[0]!;
    const totp = reader({ encryption: 'laravel', key: v.key }).read(v.payload)!;
    expect(totp.secret).toBe(v.value);
    const check = checkTotp(totp, totpCode(totp), { window: 1, lastStep: null });
    expect(check.ok).toBe(true);
  });

  it('treats an empty column as no second factor', () => {
    expect(reader({}).read(null)).toBeUndefined();
    expect(reader({}).read('  ')).toBeUndefined();
  });

  it('refuses a value it cannot read with a reason, never treating it as no second factor', () => {
    const unusable = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(LegacyTotpError);
        return (err as LegacyTotpError).reason;
      }
      throw new Error('no error');
    };
    expect(unusable(() => reader({}).read('not base32!'))).toBe('not_base32');
    expect(unusable(() => reader({ encoding: 'hex' }).read('xyz'))).toBe('not_hex');
    expect(unusable(() => reader({}).read('MFRG'))).toBe('too_short');
    expect(unusable(() => reader({ encryption: 'laravel', key: OTHER_KEY }).read(vectors[0]!.payload))).toBe(
      'mac_invalid',
    );
  });

  it('stops the start with the key to fix when the Laravel key is missing or malformed, without echoing it', () => {
    expect(() => reader({ encryption: 'laravel' })).toThrow(ConfigError);
    try {
      reader({ encryption: 'laravel', key: 'base64:dG9vLXNob3J0LXNlY3JldC1rZXk=' });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain('legacy.totp.key');
      expect((err as ConfigError).message).not.toContain('dG9vLXNob3J0LXNlY3JldC1rZXk');
    }
  });
});

describe('a TOTP code check', () => {
  const totp = { secret: 'JBSWY3DPEHPK3PXPKRSXG5CT', digits: 6, period: 30, algorithm: 'SHA1' as const };
  const now = 1_800_000_000_000;

  it('accepts the current code and one step either side, and says which step it was', () => {
    const step = Math.floor(now / 30_000);
    for (const d of [-1, 0, 1]) {
      const r = checkTotp(totp, totpCode(totp, now + d * 30_000), { window: 1, lastStep: null, now });
      expect(r).toEqual({ ok: true, step: step + d });
    }
    expect(checkTotp(totp, totpCode(totp, now + 90_000), { window: 1, lastStep: null, now })).toEqual({
      ok: false,
      reason: 'wrong',
    });
  });

  it('refuses a code for a step at or before the last one accepted', () => {
    const step = Math.floor(now / 30_000);
    const code = totpCode(totp, now);
    expect(checkTotp(totp, code, { window: 1, lastStep: step, now })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(checkTotp(totp, totpCode(totp, now + 30_000), { window: 1, lastStep: step, now }).ok).toBe(true);
  });

  it('refuses what is not six digits', () => {
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 34 5a']) {
      expect(checkTotp(totp, bad, { window: 1, lastStep: null, now }).ok).toBe(false);
    }
  });
});
