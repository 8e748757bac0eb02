// The compositions that used to answer for the wrong input: a salt the detected scheme never
// reads, bcrypt wrapped around a digest, values of no known format taken for a bare digest,
// and Spring Security's `{id}` forms read as LDAP. Each is now a verdict on the right input
// or an UnusableHashError that names the fix, never a match for the wrong one.

import { createHash, createHmac } from 'node:crypto';
import { hashSync } from '@node-rs/bcrypt';
import { afterAll, describe, expect, it } from 'vitest';
import { UnusableHashError } from '../../src/errors.ts';
import { closeWorkerPool, verifyPassword } from '../../src/hashing/registry.ts';

afterAll(() => closeWorkerPool());

const hex = (algorithm: string, text: string) => createHash(algorithm).update(text, 'utf8').digest('hex');

async function outcome(options: Parameters<typeof verifyPassword>[0]): Promise<boolean | string> {
  try {
    return (await verifyPassword(options)).match;
  } catch (err) {
    if (err instanceof UnusableHashError) return `unusable:${err.reason}`;
    throw err;
  }
}

describe('a salt or pepper the scheme does not read', () => {
  // Devise: bcrypt(password + pepper); SMF 2.1: bcrypt(lower(username) + password).
  const devise = hashSync('Secret-pass-1pepper-of-the-app', 4);
  const smf = hashSync('aliceSecret-pass-1', 4);

  it('refuses a bcrypt hash given a salt under auto, as unusable, never as a verdict', async () => {
    expect(await outcome({ password: 'Secret-pass-1', stored: smf, salt: 'Alice' })).toBe(
      'unusable:salt_unused',
    );
    expect(await outcome({ password: 'aliceSecret-pass-1', stored: smf, salt: 'Alice' })).toBe(
      'unusable:salt_unused',
    );
  });

  it('names the composition to configure in the reason', async () => {
    const err = await verifyPassword({ password: 'x', stored: smf, salt: 'Alice' }).catch((e) => e);
    expect(err).toBeInstanceOf(UnusableHashError);
    expect(err.message).toMatch(/legacy\.password\.scheme/);
  });

  it('refuses a bcrypt hash given a pepper under auto', async () => {
    expect(await outcome({ password: 'Secret-pass-1', stored: devise, pepper: 'pepper-of-the-app' })).toBe(
      'unusable:pepper_unused',
    );
  });

  it('verifies the configured compositions with the right input only', async () => {
    const deviseScheme = { stored: devise, pepper: 'pepper-of-the-app', scheme: 'bcrypt(password + pepper)' };
    expect(await outcome({ password: 'Secret-pass-1', ...deviseScheme })).toBe(true);
    expect(await outcome({ password: 'Secret-pass-1pepper-of-the-app', ...deviseScheme })).toBe(false);
    const smfScheme = { stored: smf, salt: 'Alice', scheme: 'bcrypt(lower(salt) + password)' };
    expect(await outcome({ password: 'Secret-pass-1', ...smfScheme })).toBe(true);
    expect(await outcome({ password: 'aliceSecret-pass-1', ...smfScheme })).toBe(false);
  });
});

describe('bcrypt wrapped around a digest', () => {
  const password = 'vBulletin-5-password';
  const vbulletin5 = hashSync(hex('md5', password), 4);
  const meteor = hashSync(hex('sha256', password), 4);

  it('refuses the md5 hex of the password against a vBulletin 5 hash and accepts the password', async () => {
    const scheme = 'bcrypt(md5(password))';
    expect(await outcome({ password: hex('md5', password), stored: vbulletin5, scheme })).toBe(false);
    expect(await outcome({ password, stored: vbulletin5, scheme })).toBe(true);
  });

  it('refuses the sha256 hex of the password against a Meteor hash and accepts the password', async () => {
    const scheme = 'bcrypt(sha256(password))';
    expect(await outcome({ password: hex('sha256', password), stored: meteor, scheme })).toBe(false);
    expect(await outcome({ password, stored: meteor, scheme })).toBe(true);
  });
});

describe('values that only look like a bare digest', () => {
  it('calls a 64-byte base64 value ambiguous instead of a sha512 that never matches', async () => {
    const symfony = Buffer.alloc(64, 7).toString('base64');
    expect(await outcome({ password: 'whatever-1', stored: symfony })).toBe('unusable:ambiguous');
  });

  it('calls a base64 digest with a salt ambiguous: the salt may be text or bytes', async () => {
    const salt = Buffer.from('0123456789abcdef').toString('base64');
    const stored = createHash('sha1')
      .update(Buffer.concat([Buffer.from(salt, 'base64'), Buffer.from('pw-member-1', 'utf16le')]))
      .digest('base64');
    expect(await outcome({ password: 'pw-member-1', stored, salt })).toBe('unusable:ambiguous');
    expect(await outcome({ password: 'pw-member-1', stored, salt, scheme: 'aspnet-membership' })).toBe(true);
  });

  it('finds an HMAC keyed with the salt instead of answering no match', async () => {
    const stored = createHmac('sha256', 'row-salt-1').update('pw-hmac-1').digest('hex');
    expect(await outcome({ password: 'pw-hmac-1', stored, salt: 'row-salt-1' })).toBe(true);
    expect(await outcome({ password: 'pw-hmac-2', stored, salt: 'row-salt-1' })).toBe(false);
  });

  it('finds an NT hash (md4 of the UTF-16LE password) instead of answering no match', async () => {
    // mkpasswd -m nt 'password' → $3$$8846f7eaee8fb117ad06bdd830b7586c
    const stored = '8846f7eaee8fb117ad06bdd830b7586c';
    expect(await outcome({ password: 'password', stored })).toBe(true);
    expect(await outcome({ password: 'Password', stored })).toBe(false);
  });
});

describe("Spring Security's {id} forms", () => {
  it('verifies {noop}, {sha256} and {MD5}{salt} instead of calling them malformed LDAP', async () => {
    expect(await outcome({ password: 'plain-pass-1', stored: '{noop}plain-pass-1' })).toBe(true);
    expect(await outcome({ password: 'plain-pass-2', stored: '{noop}plain-pass-1' })).toBe(false);
    // Spring's MessageDigestPasswordEncoder("MD5"): md5(password + "{salt}"), salt kept in the value.
    const md5 = `{MD5}{s4lt}${hex('md5', 'pw-md5-1{s4lt}')}`;
    expect(await outcome({ password: 'pw-md5-1', stored: md5 })).toBe(true);
    expect(await outcome({ password: 'pw-md5-2', stored: md5 })).toBe(false);
  });

  it('keeps prefixes case-sensitive where the format is: {SHA256} stays LDAP, {NOOP} is nothing', async () => {
    const ldap = `{SHA256}${createHash('sha256').update('pw-ldap-1').digest('base64')}`;
    expect(await outcome({ password: 'pw-ldap-1', stored: ldap })).toBe(true);
    expect(await outcome({ password: 'plain-pass-1', stored: '{NOOP}plain-pass-1' })).toBe(
      'unusable:unknown_format',
    );
  });
});

describe('an ambiguous value in hash identify', () => {
  it('lists what a 64-byte base64 value could be, and finds Symfony with its salt', async () => {
    const { identify } = await import('../../src/hashing/registry.ts');
    const salted = Buffer.from('pw-symfony-1{s4lt}');
    let d = createHash('sha512').update(salted).digest();
    for (let i = 1; i < 5000; i++) d = createHash('sha512').update(d).update(salted).digest();
    const found = await identify({ password: 'pw-symfony-1', stored: d.toString('base64'), salt: 's4lt' });
    expect(found.matches.map((m) => m.scheme)).toEqual(['symfony-message-digest']);
    expect(found.matches[0]!.configLines.join('\n')).toContain('scheme: symfony-message-digest');
    const unknown = await identify({ password: 'pw-other', stored: d.toString('base64'), salt: 's4lt' });
    expect(unknown.matches).toEqual([]);
    expect(unknown.candidates.join(' ')).toMatch(/Symfony/);
  });
});

describe('the pepper in logs', () => {
  it('is redacted wherever a field named pepper appears', async () => {
    const { redactDeep } = await import('../../src/security/redact.ts');
    expect(redactDeep({ legacy: { options: { pepper: 'app-pepper-secret', scheme: 'auto' } } })).toEqual({
      legacy: { options: { pepper: '[redacted]', scheme: 'auto' } },
    });
  });
});
