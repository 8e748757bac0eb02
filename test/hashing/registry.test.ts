// The registry's behaviour beyond the vectors: malformed hashes of each family are told apart
// from mismatches by a reason code, detection order, scheme identification, the target
// platform's import forms, decoys, and PHP's bcrypt rules.

import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { UnusableHashError } from '../../src/errors.ts';
import {
  closeWorkerPool,
  decoyFor,
  detectScheme,
  identifyScheme,
  targetFormOf,
  verifiers,
  verifyPassword,
} from '../../src/hashing/registry.ts';

afterAll(() => closeWorkerPool());

async function unusable(stored: string, options: { salt?: string; scheme?: string } = {}) {
  try {
    await verifyPassword({ password: 'hunter2', stored, ...options });
  } catch (err) {
    if (err instanceof UnusableHashError) return err;
    throw err;
  }
  throw new Error('expected an UnusableHashError');
}

describe('malformed stored hashes', () => {
  it.each([
    ['bcrypt', '$2y$1$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui', 'malformed'],
    ['bcrypt', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvy', 'malformed'],
    ['bcrypt', '$2a$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', 'malformed'],
    ['bcrypt', '$2a$12$EXRkfkdmXn!gzds2SSitu.MW9.gAVqa9eLS1//RYtYCmB1eLHg.9q', 'malformed'],
    ['bcrypt', '$2$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', 'unsupported_parameters'],
    [
      'argon2',
      '$argon2i$v=19$t=2,p=4$c29tZXNhbHQAAAAAAAAAAA$QWLzI4TY9HkL2ZTLc8g6SinwdhZewYrzz9zxCo0bkGY',
      'malformed',
    ],
    [
      'argon2',
      '$argon2i$v=19$m=127,t=2,p=16$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4',
      'malformed',
    ],
    [
      'argon2',
      '$argon2i$v=19$m=65536,t=2,p=4,keyid=ABCD$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4',
      'unsupported_parameters',
    ],
    [
      'argon2',
      '$argon2id$v=20$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
      'unsupported_parameters',
    ],
    [
      'argon2',
      '$argon2id$v=19$m=8388608,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
      'unsupported_parameters',
    ],
    ['django_pbkdf2', 'pbkdf2_sha256$lots$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'malformed'],
    [
      'django_pbkdf2',
      'pbkdf2_sha256$999999999$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
      'unsupported_parameters',
    ],
    [
      'django_bcrypt',
      'bcrypt_sha256$xyz$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu',
      'malformed',
    ],
    ['django_argon2', 'argon2$argon2id$v=19$m=102400$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw', 'malformed'],
    ['phpass', '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r!L0', 'malformed'],
    ['phpass', '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r', 'malformed'],
    ['phpass', '$P$SIQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0', 'unsupported_parameters'],
    ['md5_crypt', '$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o!', 'malformed'],
    ['md5_crypt', '$1$toolongsalt$tnxS1T8Q6VVn3kpV8cN6o.', 'malformed'],
    [
      'sha_crypt',
      '$5$rounds=010428$uy/jIAhCetNCTtb0$YWvUOXbkqlqhyoPMpN8BMe.ZGsGx2aBvxTvDFI613c3',
      'malformed',
    ],
    ['sha_crypt', '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY', 'malformed'],
    [
      'sha_crypt',
      '$5$rounds=999999999$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5',
      'unsupported_parameters',
    ],
    ['ldap', '{SSHA}c2hvcnQ=', 'malformed'],
    ['ldap', '{MD5}not base64 at all', 'malformed'],
    ['ldap_wrapped', '{CRYPT}nothing-known', 'unknown_format'],
    ['mysql41', '*6Z8989366EAF75BB670AD8EA7A7FC1176A95CEF4', 'malformed'],
    [
      'pbkdf2',
      '$pbkdf2-sha256$many$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ',
      'malformed',
    ],
    ['pbkdf2', '$pbkdf2$i=4096,l=16$c2FsdA$SwB5AbdlSJq+rUnZJvch0GWkKcE', 'malformed'],
    ['salted_digest', 'md5$aa$bb', 'malformed'],
    ['salted_digest', 'sha1$c2e86$0f75', 'malformed'],
    ['salted_digest', 'unsalted_sha1$salt$6d138ca3ae545631b3abd71a4f076ce759c5700b', 'malformed'],
    ['none', 'hello world', 'unknown_format'],
    ['none', '$9$something', 'unknown_format'],
    ['none', '', 'empty'],
  ])('gives %s hash %j the reason %s, not a mismatch', async (_family, stored, reason) => {
    const err = await unusable(stored);
    expect(err.code).toBe('hash_unusable');
    expect(err.reason).toBe(reason);
  });

  it('never puts the stored hash or the password into the error message', async () => {
    const cases = [
      '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvy',
      'md5$aa$bb',
      '{SSHA}c2hvcnQ=',
    ];
    for (const stored of cases) {
      const err = await unusable(stored);
      expect(err.message).not.toContain(stored);
      expect(err.message).not.toContain('hunter2');
      expect(JSON.stringify(err.details)).not.toContain(stored);
    }
  });

  it('rejects a digest that is neither hex nor base64 under an expression', async () => {
    expect((await unusable('zzzz', { scheme: 'sha1(salt + password)', salt: 'x' })).reason).toBe('malformed');
  });

  it('reports a salted expression without a salt as salt_missing', async () => {
    const stored = 'cac35ec206d868b7d7cb0b55f31d9425b075082b';
    expect((await unusable(stored, { scheme: 'sha1(salt + password)' })).reason).toBe('salt_missing');
  });

  it('refuses an unknown scheme id and a hash that is not in the forced scheme', async () => {
    expect((await unusable('5f4dcc3b5aa765d61d8327deb882cf99', { scheme: 'scrypt' })).reason).toBe(
      'unknown_scheme',
    );
    expect((await unusable('5f4dcc3b5aa765d61d8327deb882cf99', { scheme: 'bcrypt' })).reason).toBe(
      'malformed',
    );
  });
});

describe('detectScheme', () => {
  it.each([
    ['$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a', 'bcrypt'],
    ['$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', 'argon2'],
    ['argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', 'django_argon2'],
    ['bcrypt_sha256$$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu', 'django_bcrypt'],
    ['pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I=', 'django_pbkdf2'],
    ['$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ', 'pbkdf2'],
    ['$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0', 'phpass'],
    ['$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00', 'phpass'],
    ['$1$rasmusle$rISCgZzpwk3UhDidwXvin0', 'md5_crypt'],
    ['$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/', 'md5_crypt'],
    ['$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5', 'sha_crypt'],
    ['{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr', 'ldap'],
    ['{CRYPT}$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020', 'ldap_wrapped'],
    ['*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4', 'mysql41'],
    ['sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b', 'salted_digest'],
    ['sha256$s4lt$505d2d6bc4c2dc6079869715bd3f29b9d009b200d378facc0dee2505eab5e534', 'salted_digest'],
    ['5f4dcc3b5aa765d61d8327deb882cf99', 'bare_digest'],
    ['/F4DjTilcDIIVEHn/nAQsA==', 'bare_digest'],
  ])('picks the right verifier for %s', (stored, id) => {
    expect(detectScheme(stored)?.id).toBe(id);
  });

  it('detects nothing for text in no known format', () => {
    expect(detectScheme('not a hash')).toBeUndefined();
    expect(detectScheme('5f4dcc3b5aa765d61d8327deb882cf9')).toBeUndefined();
  });

  it('keeps one verifier per id in one list', () => {
    const ids = verifiers.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.at(-1)).toBe('bare_digest');
  });
});

describe('verifyPassword', () => {
  it('accepts a PHP $2y$ hash of the example user', async () => {
    const stored = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
    expect(await verifyPassword({ password: 'rasmuslerdorf', stored })).toEqual({
      match: true,
      scheme: 'bcrypt',
    });
  });

  it('ignores bcrypt password bytes past 72, as PHP password_verify does', async () => {
    const stored = '$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui';
    const first72 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    expect((await verifyPassword({ password: `${first72}anything else`, stored })).match).toBe(true);
    expect((await verifyPassword({ password: first72.slice(0, 71), stored })).match).toBe(false);
  });

  it('ends a bcrypt password at a NUL byte, as crypt(3) reads a C string', async () => {
    const stored = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
    expect((await verifyPassword({ password: 'U*U\u0000ignored', stored })).match).toBe(true);
  });

  it('treats $2y$ as $2b$: the same hash body verifies under either prefix', async () => {
    const body = '07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi';
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      expect((await verifyPassword({ password: 'rasmuslerdorf', stored: prefix + body })).match).toBe(true);
    }
  });

  it('emulates the $2x$ sign-extension bug: a $2x$ hash of an 8-bit password does not verify as $2b$', async () => {
    // libxcrypt's $2x$ of "äbc"; the correct algorithm gives a different hash for the same salt.
    const body = '05$usesomesillystringforeA7HTTHMhgNcUzeASc6pTWcIdbuS7Zk2';
    expect((await verifyPassword({ password: '\u00e4bc', stored: `$2x$${body}` })).match).toBe(true);
    expect((await verifyPassword({ password: '\u00e4bc', stored: `$2b$${body}` })).match).toBe(false);
  });

  it('tries both salt positions for a bare digest with a salt and reports which one matched', async () => {
    // hashcat modes 110 (sha1($pass.$salt)) and 120 (sha1($salt.$pass)).
    expect(
      await verifyPassword({
        password: 'hashcat',
        stored: '2fc5a684737ce1bf7b3b239df432416e0dd07357',
        salt: '2014',
      }),
    ).toEqual({ match: true, scheme: 'sha1(password + salt)' });
    expect(
      await verifyPassword({
        password: 'hashcat',
        stored: 'cac35ec206d868b7d7cb0b55f31d9425b075082b',
        salt: '5363620024',
      }),
    ).toEqual({ match: true, scheme: 'sha1(salt + password)' });
  });

  it('reports the canonical expression when one is configured', async () => {
    const result = await verifyPassword({
      password: 'hashcat',
      stored: 'a936af92b0ae20b1ff6c3347a72e5fbe',
      scheme: ' MD5( md5(password) ) ',
    });
    expect(result).toEqual({ match: true, scheme: 'md5(md5(password))' });
  });

  it('uses a verifier id given as the scheme', async () => {
    const result = await verifyPassword({
      password: 'rasmuslerdorf',
      stored: '$1$rasmusle$rISCgZzpwk3UhDidwXvin0',
      scheme: 'md5_crypt',
    });
    expect(result).toEqual({ match: true, scheme: 'md5_crypt' });
  });
});

describe('identifyScheme', () => {
  const saltLines = (expr: string) => [
    'legacy:',
    '  columns: { salt: <your salt column> }',
    `  password: { scheme: '${expr}' }`,
  ];

  it('finds salted sha1 with the salt first', async () => {
    const found = await identifyScheme({
      password: 'hashcat',
      stored: 'cac35ec206d868b7d7cb0b55f31d9425b075082b',
      salt: '5363620024',
    });
    expect(found).toEqual({
      scheme: 'sha1(salt + password)',
      configLines: saltLines('sha1(salt + password)'),
    });
  });

  it('finds salted sha1 with the salt last', async () => {
    const found = await identifyScheme({
      password: 'hashcat',
      stored: '2fc5a684737ce1bf7b3b239df432416e0dd07357',
      salt: '2014',
    });
    expect(found).toEqual({
      scheme: 'sha1(password + salt)',
      configLines: saltLines('sha1(password + salt)'),
    });
  });

  it('finds nested md5 without a salt', async () => {
    const found = await identifyScheme({ password: 'hashcat', stored: 'a936af92b0ae20b1ff6c3347a72e5fbe' });
    expect(found).toEqual({
      scheme: 'md5(md5(password))',
      configLines: ['legacy:', "  password: { scheme: 'md5(md5(password))' }"],
    });
  });

  it.each([
    ['16780ba78d2d5f02f3202901c1b6d975', '568', 'md5(md5(password) + salt)'],
    ['95248989ec91f6d0439dbde2bd0140be', '1234', 'md5(salt + md5(password))'],
    ['8d2129083ef35f4b365d5d87487e1207', '47204', 'md5(md5(salt) + md5(password))'],
  ])('finds the nested salted md5 of hashcat example %s', async (stored, salt, scheme) => {
    expect((await identifyScheme({ password: 'hashcat', stored, salt }))?.scheme).toBe(scheme);
  });

  it('finds sha1(md5(password)) among mixed nestings', async () => {
    const found = await identifyScheme({
      password: 'hashcat',
      stored: '92d85978d884eb1d99a51652b1139c8279fa8663',
    });
    expect(found?.scheme).toBe('sha1(md5(password))');
  });

  it('answers auto for a prefixed format and for a plain unsalted digest', async () => {
    const autoLines = ['legacy:', '  password: { scheme: auto }'];
    expect(
      await identifyScheme({ password: 'rasmuslerdorf', stored: '$1$rasmusle$rISCgZzpwk3UhDidwXvin0' }),
    ).toMatchObject({ scheme: 'md5_crypt', configLines: autoLines });
    expect(
      await identifyScheme({ password: 'password', stored: '5f4dcc3b5aa765d61d8327deb882cf99' }),
    ).toMatchObject({
      scheme: 'md5(password)',
      configLines: autoLines,
    });
  });

  it('finds nothing for a wrong password or an unknown format', async () => {
    expect(
      await identifyScheme({ password: 'nope', stored: 'a936af92b0ae20b1ff6c3347a72e5fbe' }),
    ).toBeUndefined();
    expect(
      await identifyScheme({ password: 'nope', stored: '$1$rasmusle$rISCgZzpwk3UhDidwXvin0' }),
    ).toBeUndefined();
    expect(await identifyScheme({ password: 'nope', stored: 'not a hash' })).toBeUndefined();
  });
});

describe('targetFormOf', () => {
  const md5Password = '5f4dcc3b5aa765d61d8327deb882cf99';

  it.each([
    [md5Password, undefined, 'auto', { algorithm: 'md5', salt: '', hash: md5Password }],
    [md5Password.toUpperCase(), undefined, 'auto', { algorithm: 'md5', salt: '', hash: md5Password }],
    ['X03MO1qnZdYdgyfeuILPmQ==', undefined, 'auto', { algorithm: 'md5', salt: '', hash: md5Password }],
    [
      'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3',
      undefined,
      'auto',
      { algorithm: 'md5', salt: 'seasalt', hash: '3f86d0d3d465b7b458c231bf3555c0e3' },
    ],
    [
      'sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b',
      undefined,
      'auto',
      { algorithm: 'sha1', salt: '', hash: '6d138ca3ae545631b3abd71a4f076ce759c5700b' },
    ],
    [
      'unsalted_sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b',
      undefined,
      'auto',
      { algorithm: 'sha1', salt: '', hash: '6d138ca3ae545631b3abd71a4f076ce759c5700b' },
    ],
    [
      'sha256$s4lt$505d2d6bc4c2dc6079869715bd3f29b9d009b200d378facc0dee2505eab5e534',
      undefined,
      'auto',
      {
        algorithm: 'sha256',
        salt: 's4lt',
        hash: '505d2d6bc4c2dc6079869715bd3f29b9d009b200d378facc0dee2505eab5e534',
      },
    ],
    [
      'CAC35EC206D868B7D7CB0B55F31D9425B075082B',
      '5363620024',
      'sha1(salt + password)',
      { algorithm: 'sha1', salt: '5363620024', hash: 'cac35ec206d868b7d7cb0b55f31d9425b075082b' },
    ],
    [md5Password, 'ignored', 'md5(password)', { algorithm: 'md5', salt: '', hash: md5Password }],
    [
      '{SHA}at+xg6SiyUovktq1redipHiJpaE=',
      undefined,
      'auto',
      { algorithm: 'sha1', salt: '', hash: '6adfb183a4a2c94a2f92dab5ade762a47889a5a1' },
    ],
  ])('gives the target form of %s (salt %s, scheme %s)', (stored, salt, scheme, form) => {
    expect(targetFormOf(stored, salt, scheme)).toEqual(form);
  });

  it.each([
    ['$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a', undefined, 'auto'],
    [
      '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
      undefined,
      'auto',
    ],
    ['$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0', undefined, 'auto'],
    ['pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs=', undefined, 'auto'],
    ['*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4', undefined, 'auto'],
    ['{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr', undefined, 'auto'],
    ['2fc5a684737ce1bf7b3b239df432416e0dd07357', '2014', 'sha1(password + salt)'],
    ['2fc5a684737ce1bf7b3b239df432416e0dd07357', '2014', 'auto'],
    ['a936af92b0ae20b1ff6c3347a72e5fbe', undefined, 'md5(md5(password))'],
    [
      'b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86',
      undefined,
      'auto',
    ],
    ['sha512$$' + 'ab'.repeat(64), undefined, 'auto'],
  ])('gives no target form for %s (salt %s, scheme %s)', (stored, salt, scheme) => {
    expect(targetFormOf(stored, salt, scheme)).toBeUndefined();
  });
});

describe('decoyFor', () => {
  const ids = verifiers.map((v) => v.id).filter((id) => id !== 'django_unusable');

  it.each(ids)('gives a %s decoy in its own format that matches no guessed password', async (id) => {
    const verifier = verifiers.find((v) => v.id === id)!;
    const stored = await decoyFor(id);
    expect(verifier.detect(stored)).toBe(true);
    const salt = verifier.salt === 'required' ? 'c2FsdHNhbHQ=' : undefined;
    const pepper = verifier.pepper === 'required' ? 'c2lnbmVyLWtleQ==' : undefined;
    expect((await verifyPassword({ password: 'password', stored, salt, pepper, scheme: id })).match).toBe(
      false,
    );
  });

  it('uses bcrypt cost 10 by default and the cost of a sampled row on request', async () => {
    expect((await decoyFor('bcrypt')).startsWith('$2y$10$')).toBe(true);
    expect(await decoyFor('auto')).toBe(await decoyFor('bcrypt'));
    const cost4 = await decoyFor('auto', '$2b$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW');
    expect(cost4.startsWith('$2y$04$')).toBe(true);
    expect(await decoyFor('bcrypt', '$2b$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')).toBe(
      cost4,
    );
  });

  it('gives an argon2 decoy with the parameters of a sampled row', async () => {
    const like = '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
    expect(await decoyFor('auto', like)).toMatch(/^\$argon2id\$v=19\$m=256,p=1,t=2\$/);
  });

  it('gives a digest of the outer algorithm for an expression', async () => {
    const stored = await decoyFor('sha1(salt + password)');
    expect(stored).toMatch(/^[0-9a-f]{40}$/);
    const result = await verifyPassword({
      password: 'x',
      stored,
      salt: 's',
      scheme: 'sha1(salt + password)',
    });
    expect(result.match).toBe(false);
    expect(await decoyFor('bcrypt(md5(password))')).toMatch(/^\$2y\$10\$/);
  });

  it('refuses a scheme it does not know', async () => {
    await expect(decoyFor('scrypt')).rejects.toThrow(UnusableHashError);
  });
});

describe('unusual passwords', () => {
  const huge = 'a'.repeat(100 * 1024);

  it('handles a 100 KB password in every family without error', async () => {
    const hashes = [
      '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW',
      '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
      'pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs=',
      '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0',
      '$1$rasmusle$rISCgZzpwk3UhDidwXvin0',
      '$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC',
      '{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr',
      '*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4',
      'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3',
      '5f4dcc3b5aa765d61d8327deb882cf99',
    ];
    for (const stored of hashes) {
      expect((await verifyPassword({ password: huge, stored })).match, stored).toBe(false);
    }
  }, 180_000);

  it('lets a 100 KB password match a bcrypt hash of its first 72 bytes', async () => {
    // A bcrypt hash of 72 "a": bcrypt never sees more, so any longer run of "a" matches.
    const stored = await decoyFor('bcrypt', '$2b$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW');
    expect((await verifyPassword({ password: huge, stored })).match).toBe(false);
    const { hash } = await import('@node-rs/bcrypt');
    const of72 = await hash('a'.repeat(72), 4);
    expect((await verifyPassword({ password: huge, stored: of72 })).match).toBe(true);
  });

  it('hashes a 100 KB password under an expression as it is', async () => {
    const stored = createHash('sha256').update(`s${huge}`).digest('hex');
    const result = await verifyPassword({
      password: huge,
      stored,
      salt: 's',
      scheme: 'sha256(salt + password)',
    });
    expect(result.match).toBe(true);
  });
});

describe('stored values with padding', () => {
  it('ignores whitespace around a stored hash, as a char(n) column pads it', async () => {
    const result = await verifyPassword({
      password: 'password',
      stored: '5f4dcc3b5aa765d61d8327deb882cf99   \r\n',
    });
    expect(result.match).toBe(true);
  });

  it('does not take non-canonical base64 for a digest', () => {
    // 22 characters whose last one carries bits an encoder never sets.
    expect(detectScheme('/F4DjTilcDIIVEHn/nAQsB')).toBeUndefined();
    expect(detectScheme('/F4DjTilcDIIVEHn/nAQsA')?.id).toBe('bare_digest');
  });
});
