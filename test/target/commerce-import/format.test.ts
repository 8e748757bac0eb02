// The user-import record: building it from be_users rows, the password form, and the
// strict validation the target applies. Rows are shaped as mysql2 returns them.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildUser,
  checkMapping,
  DEFAULT_MAPPING,
  type MappingConfig,
} from '../../../src/target/commerce-import/mapping.ts';
import {
  formatPassword,
  parsePassword,
  passwordFromPlain,
  verifyPassword,
} from '../../../src/target/commerce-import/password.ts';
import { type CommerceUser, validateUser } from '../../../src/target/commerce-import/schema.ts';
import { describeProblems } from '../../../src/target/problems.ts';
import { EXAMPLE_ROW } from '../../support/example-row.ts';

const PASSWORD = 'correct horse 42';

const COMPLETE_ROW = {
  ...EXAMPLE_ROW,
  first_name: 'Ayşe',
  last_name: 'Yılmaz',
  gender: 'M',
  birthday: new Date(Date.UTC(1990, 4, 17)),
  accept_notifications: 1,
  created_at: new Date('2019-03-04T05:06:07.890Z'),
};

function build(row: Record<string, unknown>, config: MappingConfig = {}) {
  return buildUser(
    row,
    { ...config, legacyId: String(row.id) },
    { kind: 'plain', password: PASSWORD, algorithm: 'sha256' },
  );
}

/** A valid user, for validation tests that change one field. */
function validUser(): CommerceUser {
  return build(COMPLETE_ROW);
}

function problemFields(user: unknown): string[] {
  const result = validateUser(user);
  return result.ok ? [] : result.problems.map((p) => p.field);
}

describe('building the user-import record from a be_users row', () => {
  it("fails the import guide's own test row, naming first_name, last_name and date_joined", () => {
    const result = validateUser(build(EXAMPLE_ROW));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      { field: 'first_name', reason: 'is required (got null)' },
      { field: 'last_name', reason: 'is required (got null)' },
      { field: 'date_joined', reason: 'is required (got null)' },
    ]);
  });

  it('describes the problems of a row in one line that names the legacy id', () => {
    const result = validateUser(build(EXAMPLE_ROW));
    const line = describeProblems(result.ok ? [] : result.problems, '28774');
    expect(line).toMatch(/^legacy row 28774: first_name is required \(got null\); /);
  });

  it('keeps the password and its hash out of problem descriptions', () => {
    const user = {
      ...build(EXAMPLE_ROW),
      password: `sha256$salt$${'A'.repeat(64)}`,
      password_algorithm: 'md5',
    };
    const result = validateUser(user);
    const line = describeProblems(result.ok ? [] : result.problems, '28774');
    expect(line).toContain('password');
    expect(line).not.toContain('AAAA');
    expect(line).not.toContain(PASSWORD);
  });

  it('maps a complete row to a valid user with the user-import date formats', () => {
    const result = validateUser(validUser());
    expect(result.ok).toBe(true);
    expect(result.ok && result.user).toMatchObject({
      first_name: 'Ayşe',
      last_name: 'Yılmaz',
      email: 'testuser-bal@example.com',
      gender: 'male',
      date_of_birth: '1990-05-17',
      date_joined: '2019-03-04T05:06:07Z',
      email_allowed: true,
      sms_allowed: false,
      call_allowed: false,
      verified: true,
      phone: null,
      facebook_uuid: null,
      customer_code: '28774',
      password_algorithm: 'sha256',
      attributes: {},
      user_type: 'registered',
    });
  });

  it('sends a password the target can verify, never the plain one', () => {
    const user = validUser();
    expect(user.password).toMatch(/^sha256\$[A-Za-z0-9]{12}\$[0-9a-f]{64}$/);
    expect(verifyPassword(PASSWORD, user.password)).toBe(true);
    expect(JSON.stringify(user)).not.toContain(PASSWORD);
  });

  it('reads M, F, m, f, male and female as the two genders and anything else as null', () => {
    const genders = ['M', 'F', 'm', 'f', 'male', 'Female', 'X', '', null].map(
      (gender) => build({ ...COMPLETE_ROW, gender }).gender,
    );
    expect(genders).toEqual(['male', 'female', 'male', 'female', 'male', 'female', null, null, null]);
  });

  it('reads tinyint 0, 1, "0", "1" and NULL as booleans, NULL as no consent', () => {
    const allowed = [1, 0, '1', '0', null, true, Buffer.from([1])].map(
      (accept_notifications) => build({ ...COMPLETE_ROW, accept_notifications }).email_allowed,
    );
    expect(allowed).toEqual([true, false, true, false, false, true, true]);
  });

  it('reads a DATE returned as local midnight as that day, even east of Greenwich', () => {
    const previous = process.env.TZ;
    process.env.TZ = 'Europe/Istanbul';
    try {
      const user = build({ ...COMPLETE_ROW, birthday: new Date(1990, 4, 17) });
      expect(user.date_of_birth).toBe('1990-05-17');
    } finally {
      process.env.TZ = previous;
      if (previous === undefined) delete process.env.TZ;
    }
  });

  it('reads dates given as strings, and drops a zero birthday rather than failing', () => {
    const fromStrings = build({ ...COMPLETE_ROW, birthday: '17.05.1990', created_at: '2019-03-04 05:06:07' });
    expect(fromStrings.date_of_birth).toBe('1990-05-17');
    expect(fromStrings.date_joined).toBe('2019-03-04T05:06:07Z');
    expect(build({ ...COMPLETE_ROW, birthday: '0000-00-00 00:00:00' }).date_of_birth).toBeNull();
  });

  it('reads an epoch created_at in seconds as a datetime', () => {
    expect(build({ ...COMPLETE_ROW, created_at: 1551675967 }).date_joined).toBe('2019-03-04T05:06:07Z');
  });

  it('normalises Turkish mobile numbers to 5XXXXXXXXX and drops every other number', () => {
    const phones = [
      '+90 532 123 45 67',
      '0532 123 45 67',
      '(0532) 123-4567',
      '5321234567',
      '0090 532 123 4567',
    ];
    const other = ['0212 123 45 67', '+49 151 2345678', '532123', 'n/a'];
    const map = (phone: string) =>
      build({ ...COMPLETE_ROW, tel: phone }, { mapping: { phone: 'tel' } }).phone;
    expect(phones.map(map)).toEqual(Array(phones.length).fill('5321234567'));
    expect(other.map(map)).toEqual([null, null, null, null]);
  });
});

describe('mapping and defaults', () => {
  it('fills an empty-string column from target.defaults only with empty_as_missing', () => {
    // Django superusers have first_name = ''.
    const row = { ...COMPLETE_ROW, first_name: '', last_name: '  ' };
    const defaults = { first_name: 'Unknown', last_name: 'Unknown' };
    expect(build(row, { defaults })).toMatchObject({ first_name: '', last_name: '' });
    expect(build(row, { defaults, emptyAsMissing: true })).toMatchObject({
      first_name: 'Unknown',
      last_name: 'Unknown',
    });
    // A real value is never replaced.
    expect(build(COMPLETE_ROW, { defaults, emptyAsMissing: true }).first_name).toBe('Ayşe');
  });

  it("fits the import guide's be_users columns by default, sms consent included only when mapped", () => {
    expect(DEFAULT_MAPPING).toMatchObject({
      date_of_birth: 'birthday',
      email_allowed: 'accept_notifications',
      date_joined: 'created_at',
      customer_code: 'id',
    });
    expect(DEFAULT_MAPPING.sms_allowed).toBeUndefined();
  });

  it('lets a mapping entry replace a default column', () => {
    const user = build(
      { ...COMPLETE_ROW, given: 'Mehmet', accept_sharing: 1, uuid: 'c-9' },
      { mapping: { first_name: 'given', sms_allowed: 'accept_sharing', customer_code: 'uuid' } },
    );
    expect(user).toMatchObject({ first_name: 'Mehmet', sms_allowed: true, customer_code: 'c-9' });
  });

  it('sends the default value for a field mapped to ""', () => {
    const user = build(COMPLETE_ROW, { mapping: { gender: '', date_of_birth: '' } });
    expect(user.gender).toBeNull();
    expect(user.date_of_birth).toBeNull();
  });

  it('fills fields from defaults where the column is NULL or unmapped', () => {
    const user = build(EXAMPLE_ROW, {
      defaults: {
        first_name: 'Unknown',
        last_name: 'Customer',
        date_joined: '2020-01-01 00:00:00',
        user_type: 'guest',
        verified: false,
        attributes: { source: 'be_users' },
      },
    });
    expect(validateUser(user).ok).toBe(true);
    expect(user).toMatchObject({
      first_name: 'Unknown',
      date_joined: '2020-01-01T00:00:00Z',
      user_type: 'guest',
      verified: false,
      attributes: { source: 'be_users' },
    });
  });

  it('fills date_joined with the current time only when defaults ask for "now"', () => {
    const user = build({ ...COMPLETE_ROW, created_at: null }, { defaults: { date_joined: 'now' } });
    const joined = Date.parse(user.date_joined);
    expect(Math.abs(joined - Date.now())).toBeLessThan(5000);
    expect(build({ ...COMPLETE_ROW, created_at: null }).date_joined).toBeNull();
  });

  it('copies columns mapped to attributes.NAME into attributes', () => {
    const user = build(COMPLETE_ROW, { mapping: { 'attributes.username': 'username' } });
    expect(user.attributes).toEqual({ username: 'testuser-bal' });
  });

  it('refuses a mapping that names no target field, or that maps the password', () => {
    expect(checkMapping({ nickname: 'username', password: 'password' }, { attributes: [] })).toHaveLength(3);
    expect(() => build(COMPLETE_ROW, { mapping: { nickname: 'username' } })).toThrow(
      expect.objectContaining({ code: 'target_mapping_invalid' }),
    );
  });

  it('refuses an explicitly mapped column that the row does not have', () => {
    expect(() => build(COMPLETE_ROW, { mapping: { phone: 'mobile' } })).toThrow(
      expect.objectContaining({ code: 'legacy_row_invalid' }),
    );
  });

  it('treats a default-mapped column missing from the row as NULL', () => {
    const { birthday: _birthday, ...row } = COMPLETE_ROW;
    expect(build(row).date_of_birth).toBeNull();
  });
});

describe('the password variants', () => {
  it('passes a legacy hash the target accepts through unchanged for the bulk import', () => {
    const hash = createHash('md5').update('s4ltsecret').digest('hex');
    const user = buildUser(COMPLETE_ROW, { legacyId: '28774' }, { kind: 'form', form: `md5$s4lt$${hash}` });
    expect(user.password).toBe(`md5$s4lt$${hash}`);
    expect(user.password_algorithm).toBe('md5');
    expect(validateUser(user).ok).toBe(true);
  });

  it('gives a user sent without a password an unusable one and flags the reset', () => {
    const user = buildUser(COMPLETE_ROW, { legacyId: '28774' }, { kind: 'unusable', algorithm: 'sha1' });
    expect(validateUser(user).ok).toBe(true);
    expect(user.password_algorithm).toBe('sha1');
    expect(user.attributes).toEqual({ password_reset_required: true });
    expect(verifyPassword('', user.password)).toBe(false);
  });

  it.each(['md5', 'sha1', 'sha256'] as const)('makes a salted %s form of a plain password', (algorithm) => {
    const stored = passwordFromPlain(PASSWORD, algorithm);
    const form = parsePassword(stored)!;
    expect(form.algorithm).toBe(algorithm);
    expect(form.salt).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(form.hash).toBe(
      createHash(algorithm)
        .update(form.salt + PASSWORD)
        .digest('hex'),
    );
    expect(passwordFromPlain(PASSWORD, algorithm)).not.toBe(stored);
  });

  it('formats a form with an empty salt for an unsalted hash', () => {
    const hash = createHash('sha1').update('x').digest('hex');
    expect(formatPassword({ algorithm: 'sha1', salt: '', hash })).toBe(`sha1$$${hash}`);
    expect(verifyPassword('x', `sha1$$${hash}`)).toBe(true);
  });
});

describe('validating against the rules of the user-import format', () => {
  it.each(['1990-05-17', '1990/05/17', '17.05.1990', '17-05-1990', '17/05/1990'])(
    'accepts the date of birth %s',
    (date_of_birth) => {
      expect(problemFields({ ...validUser(), date_of_birth })).toEqual([]);
    },
  );

  it.each(['31.02.2020', '2019-02-29', '1990-13-01', '05/17/1990', '17 May 1990', ''])(
    'rejects the date of birth %j',
    (date_of_birth) => {
      expect(problemFields({ ...validUser(), date_of_birth })).toEqual(['date_of_birth']);
    },
  );

  it('accepts a null date of birth', () => {
    expect(problemFields({ ...validUser(), date_of_birth: null })).toEqual([]);
  });

  it('requires date_joined to be a real datetime', () => {
    expect(problemFields({ ...validUser(), date_joined: '2020-01-01 10:00:00' })).toEqual([]);
    expect(problemFields({ ...validUser(), date_joined: '2020-02-30T10:00:00Z' })).toEqual(['date_joined']);
    expect(problemFields({ ...validUser(), date_joined: '2020-01-01' })).toEqual(['date_joined']);
  });

  it('accepts a phone of 5 and nine digits, or null, and nothing else', () => {
    expect(problemFields({ ...validUser(), phone: '5321234567' })).toEqual([]);
    expect(problemFields({ ...validUser(), phone: null })).toEqual([]);
    for (const phone of ['05321234567', '+905321234567', '4321234567', '532123456', 5321234567]) {
      expect(problemFields({ ...validUser(), phone })).toEqual(['phone']);
    }
  });

  it('refuses a hash of the wrong length for its algorithm', () => {
    const user = { ...validUser(), password: `md5$salt$${'a'.repeat(40)}`, password_algorithm: 'md5' };
    expect(problemFields(user)).toEqual(['password']);
  });

  it('refuses uppercase hex, a $ in the salt and an unknown algorithm', () => {
    for (const password of [
      `sha1$s$${'A'.repeat(40)}`,
      `sha1$s$a$${'a'.repeat(40)}`,
      `sha512$s$${'a'.repeat(128)}`,
    ]) {
      expect(problemFields({ ...validUser(), password, password_algorithm: 'sha1' })).toEqual(['password']);
    }
  });

  it('refuses a password_algorithm that differs from the password', () => {
    const user = { ...validUser(), password_algorithm: 'sha1' };
    const result = validateUser(user);
    expect(result.ok ? [] : result.problems).toEqual([
      { field: 'password_algorithm', reason: "must equal the password's algorithm (sha256)" },
    ]);
  });

  it('requires the mandatory booleans and refuses 0/1 in their place', () => {
    const { verified: _verified, ...user } = validUser();
    expect(problemFields(user)).toEqual(['verified']);
    expect(problemFields({ ...validUser(), sms_allowed: 1 })).toEqual(['sms_allowed']);
    expect(problemFields({ ...validUser(), call_allowed: null })).toEqual(['call_allowed']);
  });

  it('accepts gender male, female, null and "", and nothing else', () => {
    for (const gender of ['male', 'female', null, ''])
      expect(problemFields({ ...validUser(), gender })).toEqual([]);
    expect(problemFields({ ...validUser(), gender: 'M' })).toEqual(['gender']);
  });

  it('requires an email address, a customer code, an attributes object and a user type', () => {
    const user = {
      ...validUser(),
      email: 'not-an-email',
      customer_code: '',
      attributes: [],
      user_type: 'admin',
    };
    expect(problemFields(user)).toEqual(['email', 'customer_code', 'attributes', 'user_type']);
  });

  it('accepts facebook_uuid as a string, null or ""', () => {
    for (const facebook_uuid of ['10203040', null, '']) {
      expect(problemFields({ ...validUser(), facebook_uuid })).toEqual([]);
    }
    expect(problemFields({ ...validUser(), facebook_uuid: 10203040 })).toEqual(['facebook_uuid']);
  });

  it('refuses fields the user-import format does not define, and a body that is not an object', () => {
    expect(problemFields({ ...validUser(), username: 'x' })).toEqual(['username']);
    expect(problemFields([validUser()])).toEqual(['(body)']);
  });
});
