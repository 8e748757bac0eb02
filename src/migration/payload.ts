// The user object the target platform's import API takes (the commerce platform's user-import format): building it from a
// legacy row, producing the {algorithm}${salt}${hash} password form, and validating it
// field by field. The reference target validates with the same rules, so a payload that
// passes here is one the bridge may send.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { BridgeError, LegacyRowError } from '../errors.ts';
import type { TargetPasswordForm } from '../hashing/types.ts';

export type TargetAlgorithm = TargetPasswordForm['algorithm'];
export const TARGET_ALGORITHMS: readonly TargetAlgorithm[] = ['md5', 'sha1', 'sha256'];

/** One user as the user-import format's test_user.json describes it. */
export interface TargetUser {
  first_name: string;
  last_name: string;
  email: string;
  gender: 'male' | 'female' | null | '';
  sms_allowed: boolean;
  email_allowed: boolean;
  verified: boolean;
  call_allowed?: boolean;
  phone: string | null;
  /** `%Y-%m-%d` when the bridge builds it; the target accepts the format's five date formats. */
  date_of_birth: string | null;
  /** `YYYY-MM-DDTHH:mm:ssZ` when the bridge builds it. */
  date_joined: string;
  /** `{algorithm}${salt}${hash}`, hash in lowercase hex. */
  password: string;
  password_algorithm: TargetAlgorithm;
  customer_code: string;
  facebook_uuid: string | null;
  attributes: Record<string, unknown>;
  user_type: 'guest' | 'registered';
}

export type TargetField = keyof TargetUser;

export interface Problem {
  field: string;
  reason: string;
}

export type ValidationResult = { ok: true; user: TargetUser } | { ok: false; problems: Problem[] };

const HEX_LENGTH: Record<TargetAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64 };

// ---------------------------------------------------------------------------------------
// Password form
// ---------------------------------------------------------------------------------------

const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** 12 alphanumeric characters, as Django's get_random_string(12) makes its salts. */
export function randomSalt(length = 12): string {
  let salt = '';
  // randomInt rather than a byte modulo: no bias toward the first characters.
  for (let i = 0; i < length; i++) salt += SALT_CHARS[randomInt(SALT_CHARS.length)];
  return salt;
}

function digestHex(algorithm: TargetAlgorithm, salt: string, password: string): string {
  return createHash(algorithm)
    .update(salt + password, 'utf8')
    .digest('hex');
}

export function formatTargetPassword(form: TargetPasswordForm): string {
  return `${form.algorithm}$${form.salt}$${form.hash.toLowerCase()}`;
}

/** The target form of a plain password, with a fresh salt: hash = algorithm(salt + password). */
export function targetPasswordFromPlain(password: string, algorithm: TargetAlgorithm): string {
  const salt = randomSalt();
  return formatTargetPassword({ algorithm, salt, hash: digestHex(algorithm, salt, password) });
}

const PASSWORD_FORM = /^(md5|sha1|sha256)\$([^$]*)\$([0-9a-f]+)$/;

/** Splits a stored target password; undefined when it is not in the user-import form. */
export function parseTargetPassword(stored: string): TargetPasswordForm | undefined {
  const m = PASSWORD_FORM.exec(stored);
  if (!m) return undefined;
  const algorithm = m[1] as TargetAlgorithm;
  if (m[3]!.length !== HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, salt: m[2]!, hash: m[3]! };
}

/** What the target does at its "Control" step. Constant-time; false for a malformed form. */
export function verifyTargetPassword(password: string, stored: string): boolean {
  const form = parseTargetPassword(stored);
  if (!form) return false;
  const actual = Buffer.from(digestHex(form.algorithm, form.salt, password), 'utf8');
  const expected = Buffer.from(form.hash, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A password nobody knows: a valid form over random bytes. For users sent without their
 * password (the import guide's "Forgot Password" path): the target accepts the record, and no
 * password can ever match it.
 */
export function unusableTargetPassword(algorithm: TargetAlgorithm): string {
  return formatTargetPassword({
    algorithm,
    salt: randomSalt(),
    hash: randomBytes(HEX_LENGTH[algorithm] / 2).toString('hex'),
  });
}

// ---------------------------------------------------------------------------------------
// Mapping a legacy row
// ---------------------------------------------------------------------------------------

/**
 * Target field ← legacy column, fitting the import guide's example be_users table. Deliberately absent:
 * - sms_allowed and call_allowed: be_users holds no phone number, and consent to be
 *   messaged is per channel (Turkey's İYS records SMS, call and e-mail apart), so a single
 *   accept_notifications flag is read as e-mail consent only. Map them when the legacy
 *   form asked for them: `mapping: { sms_allowed: accept_notifications }`.
 * - phone, facebook_uuid: no such columns in be_users.
 * - password, password_algorithm: never from a column; they come from the login.
 */
export const DEFAULT_MAPPING: Readonly<Record<string, string>> = Object.freeze({
  first_name: 'first_name',
  last_name: 'last_name',
  email: 'email',
  gender: 'gender',
  date_of_birth: 'birthday',
  email_allowed: 'accept_notifications',
  date_joined: 'created_at',
  customer_code: 'id',
});

/** Field values used when neither a column nor `defaults` provides one. */
const BUILTIN_DEFAULTS = {
  gender: null,
  sms_allowed: false,
  email_allowed: false,
  // The user has just proved the password, which is what the target means by verified.
  verified: true,
  call_allowed: false,
  phone: null,
  date_of_birth: null,
  facebook_uuid: null,
  user_type: 'registered',
} as const;

const MAPPABLE_FIELDS = new Set<string>([
  'first_name',
  'last_name',
  'email',
  'gender',
  'sms_allowed',
  'email_allowed',
  'verified',
  'call_allowed',
  'phone',
  'date_of_birth',
  'date_joined',
  'customer_code',
  'facebook_uuid',
  'user_type',
]);
const BOOLEAN_FIELDS = new Set(['sms_allowed', 'email_allowed', 'verified', 'call_allowed']);
const ATTRIBUTE_PREFIX = 'attributes.';

/**
 * Problems in a `target.mapping` / `target.defaults` pair, as sentences naming the key.
 * Mapping keys are target fields or `attributes.NAME` (the column's value lands in
 * attributes); defaults may also set `attributes` (an object) but never the password.
 */
export function checkMapping(
  mapping: Record<string, string> = {},
  defaults: Record<string, unknown> = {},
): string[] {
  const issues: string[] = [];
  for (const [field, column] of Object.entries(mapping)) {
    const isAttribute = field.startsWith(ATTRIBUTE_PREFIX) && field.length > ATTRIBUTE_PREFIX.length;
    if (!MAPPABLE_FIELDS.has(field) && !isAttribute) {
      issues.push(
        field === 'password' || field === 'password_algorithm'
          ? `target.mapping.${field}: the password comes from the login, not from a column; remove the key`
          : `target.mapping.${field}: not a target field; use one of ${[...MAPPABLE_FIELDS].join(', ')} or attributes.NAME`,
      );
    } else if (column !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(column)) {
      issues.push(`target.mapping.${field}: must be a plain column name, or "" to send the default`);
    }
  }
  for (const [field, value] of Object.entries(defaults)) {
    if (field === 'attributes') {
      if (!isPlainObject(value))
        issues.push('target.defaults.attributes: must be an object, e.g. { source: legacy }');
    } else if (!MAPPABLE_FIELDS.has(field)) {
      issues.push(`target.defaults.${field}: not a target field that takes a constant; remove the key`);
    }
  }
  return issues;
}

export interface BuildOptions {
  /** Config `target.mapping`: overrides DEFAULT_MAPPING entry by entry; "" means no column. */
  mapping?: Record<string, string> | undefined;
  /** Config `target.defaults`: constants for fields whose column is absent or NULL. */
  defaults?: Record<string, unknown> | undefined;
  /** The legacy primary key: customer_code when no column provides one, and error messages. */
  legacyId: string;
}

type PasswordSource =
  | { kind: 'plain'; password: string; algorithm: TargetAlgorithm }
  | { kind: 'form'; form: TargetPasswordForm }
  | { kind: 'unusable'; algorithm: TargetAlgorithm };

/**
 * The user object for a legacy row, at login: the plain password is re-hashed into the
 * form the target accepts. Values are converted (M/F → male/female, tinyint → boolean,
 * dates → the user-import date formats, Turkish mobiles → 5XXXXXXXXX) but not validated: a mandatory
 * field the row cannot fill (the example row's NULL names, a NULL created_at) stays null, and
 * validateTargetUser names it. date_joined is mandatory and never invented; set
 * `defaults.date_joined` (a date, or "now") for tables that lack it.
 *
 * A null password (or algorithm) gives the without-password variant, never a guess.
 * Throws BridgeError `target_mapping_invalid` for a bad mapping, LegacyRowError when an
 * explicitly mapped column is not in the row.
 */
export function buildTargetUser(
  row: Record<string, unknown>,
  opts: BuildOptions & { password: string | null; passwordAlgorithm: TargetAlgorithm | null },
): TargetUser {
  if (opts.password === null || opts.passwordAlgorithm === null) {
    return buildTargetUserWithoutPassword(row, {
      ...opts,
      passwordAlgorithm: opts.passwordAlgorithm ?? 'sha256',
    });
  }
  return build(row, opts, { kind: 'plain', password: opts.password, algorithm: opts.passwordAlgorithm });
}

/** For the bulk import: the legacy hash is already in a form the target accepts. */
export function buildTargetUserFromForm(
  row: Record<string, unknown>,
  opts: BuildOptions & { form: TargetPasswordForm },
): TargetUser {
  return build(row, opts, { kind: 'form', form: opts.form });
}

/**
 * For `import --without-password` (hashes the target cannot take, such as bcrypt): the
 * user-import format makes password and password_algorithm mandatory, so the user gets an unusable
 * random password and `attributes.password_reset_required = true`; the import guide's answer for
 * such users is the "Forgot Password" flow at their first login.
 */
export function buildTargetUserWithoutPassword(
  row: Record<string, unknown>,
  opts: BuildOptions & { passwordAlgorithm: TargetAlgorithm },
): TargetUser {
  return build(row, opts, { kind: 'unusable', algorithm: opts.passwordAlgorithm });
}

function build(row: Record<string, unknown>, opts: BuildOptions, source: PasswordSource): TargetUser {
  const issues = checkMapping(opts.mapping, opts.defaults);
  if (issues.length > 0) {
    throw new BridgeError(
      'target_mapping_invalid',
      `Invalid target mapping:\n  - ${issues.join('\n  - ')}`,
      500,
    );
  }
  const explicit = opts.mapping ?? {};
  const mapping: Record<string, string> = { ...DEFAULT_MAPPING, ...explicit };
  const defaults = opts.defaults ?? {};

  // A column absent from the row is NULL when only the default mapping names it (another
  // table may lack birthday), but a configuration mistake when the operator named it.
  const read = (field: string): { mapped: boolean; value: unknown } => {
    const column = mapping[field];
    if (!column) return { mapped: false, value: undefined };
    if (!(column in row) && field in explicit) {
      throw new LegacyRowError(`The legacy row has no column "${column}" (target.mapping.${field}).`, {
        field,
        column,
      });
    }
    return { mapped: true, value: row[column] };
  };

  const pick = <T>(field: string, convert: (v: unknown) => T | null, fallback: T | null): T | null => {
    const { mapped, value } = read(field);
    const fromColumn = isNullish(value) ? null : convert(value);
    if (fromColumn !== null) return fromColumn;
    if (field in defaults && !isNullish(defaults[field])) return convert(defaults[field]);
    // A NULL in a mapped consent column is no consent, whatever the unmapped default.
    if (mapped && BOOLEAN_FIELDS.has(field)) return false as T;
    return fallback;
  };

  const attributes: Record<string, unknown> = isPlainObject(defaults.attributes)
    ? { ...defaults.attributes }
    : {};
  for (const [field, column] of Object.entries(mapping)) {
    if (!field.startsWith(ATTRIBUTE_PREFIX) || !column) continue;
    const value = read(field).value;
    if (!isNullish(value)) attributes[field.slice(ATTRIBUTE_PREFIX.length)] = jsonSafe(value);
  }

  let password: string;
  let algorithm: TargetAlgorithm;
  switch (source.kind) {
    case 'plain':
      algorithm = source.algorithm;
      password = targetPasswordFromPlain(source.password, algorithm);
      break;
    case 'form':
      algorithm = source.form.algorithm;
      password = formatTargetPassword(source.form);
      break;
    case 'unusable':
      algorithm = source.algorithm;
      password = unusableTargetPassword(algorithm);
      attributes.password_reset_required = true;
      break;
  }

  const user = {
    first_name: pick('first_name', toText, null),
    last_name: pick('last_name', toText, null),
    email: pick('email', toText, null),
    gender: pick('gender', toGender, BUILTIN_DEFAULTS.gender),
    sms_allowed: pick('sms_allowed', toBoolean, BUILTIN_DEFAULTS.sms_allowed),
    email_allowed: pick('email_allowed', toBoolean, BUILTIN_DEFAULTS.email_allowed),
    verified: pick('verified', toBoolean, BUILTIN_DEFAULTS.verified),
    call_allowed: pick('call_allowed', toBoolean, BUILTIN_DEFAULTS.call_allowed),
    phone: pick('phone', toTurkishMobile, BUILTIN_DEFAULTS.phone),
    date_of_birth: pick('date_of_birth', toBirthDate, BUILTIN_DEFAULTS.date_of_birth),
    date_joined: pick('date_joined', toJoinedAt, null),
    password,
    password_algorithm: algorithm,
    customer_code: pick('customer_code', toText, null) ?? opts.legacyId,
    facebook_uuid: pick('facebook_uuid', toText, BUILTIN_DEFAULTS.facebook_uuid),
    attributes,
    user_type: pick('user_type', toUserType, BUILTIN_DEFAULTS.user_type),
  };
  // Unfilled mandatory fields stay null on purpose (see above): validation reports them.
  return user as TargetUser;
}

function isNullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function jsonSafe(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return v;
}

function toText(v: unknown): string | null {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8').trim();
  return null;
}

const GENDERS: Record<string, 'male' | 'female'> = {
  m: 'male',
  male: 'male',
  erkek: 'male',
  f: 'female',
  female: 'female',
  kadın: 'female',
  kadin: 'female',
};

function toGender(v: unknown): 'male' | 'female' | null {
  const text = toText(v);
  return text === null
    ? null
    : (GENDERS[text.toLocaleLowerCase('tr')] ?? GENDERS[text.toLowerCase()] ?? null);
}

const TRUE_WORDS = new Set(['1', 'true', 't', 'yes', 'y', 'on']);

/** tinyint, BIT(1) buffers, booleans and their string forms; anything unclear is false. */
function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'bigint') return v !== 0n;
  if (Buffer.isBuffer(v)) return v.some((b) => b !== 0);
  if (v instanceof Date) return !Number.isNaN(v.getTime());
  if (typeof v === 'string') return TRUE_WORDS.has(v.trim().toLowerCase());
  return false;
}

/** 5XXXXXXXXX for a number that is clearly a Turkish mobile; anything else is dropped. */
function toTurkishMobile(v: unknown): string | null {
  const text = toText(v);
  if (text === null) return null;
  const compact = text.replace(/[\s().-]/g, '');
  const m = /^(?:\+90|0090|90|0)?(5\d{9})$/.exec(compact);
  return m ? m[1]! : null;
}

function toUserType(v: unknown): string | null {
  const text = toText(v);
  return text === null ? null : text.toLowerCase();
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Epoch seconds or milliseconds, as legacy PHP tables often store them in INT columns. */
function fromEpoch(n: number): Date | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  return new Date(n > 1e11 ? n : n * 1000);
}

function toBirthDate(v: unknown): string | null {
  let date: Date | null = null;
  if (v instanceof Date) date = v;
  else if (typeof v === 'number') date = fromEpoch(v);
  if (date) {
    if (Number.isNaN(date.getTime())) return null;
    // Drivers hand a DATE back as midnight, in UTC or in the server's zone depending on
    // their settings; reading a local midnight in UTC would give the day before east of
    // Greenwich. UTC midnight is read in UTC, anything else in local time.
    const utcMidnight = date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0;
    return utcMidnight
      ? `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`
      : `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }
  const text = toText(v);
  if (text === null) return null;
  // A DATETIME read as a string ("1990-05-17 00:00:00"): the date part is the birthday.
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$/.exec(text);
  const parts = iso ? [Number(iso[1]), Number(iso[2]), Number(iso[3])] : parseFormatDate(text);
  // date_of_birth may be null: an unusable birthday (MySQL's 0000-00-00) must not stop a
  // migration, so it is dropped rather than sent.
  if (!parts || !isCalendarDate(parts[0]!, parts[1]!, parts[2]!)) return null;
  return `${pad(parts[0]!, 4)}-${pad(parts[1]!)}-${pad(parts[2]!)}`;
}

function formatDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function toJoinedAt(v: unknown): string | null {
  if (v === 'now') return formatDateTime(new Date());
  let date: Date | null = null;
  if (v instanceof Date) date = v;
  else if (typeof v === 'number') date = fromEpoch(v);
  if (date) return Number.isNaN(date.getTime()) ? null : formatDateTime(date);
  const text = toText(v);
  if (text === null || text === '') return null;
  // A zone-less DATETIME string is read as UTC, the zone the import guide's example dump is written in.
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(text);
  if (local) {
    const [y, mo, d, h = '0', mi = '0', s = '0'] = local.slice(1).map((x) => x ?? '0');
    const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
    if (isCalendarDate(Number(y), Number(mo), Number(d)) && !Number.isNaN(date.getTime())) {
      return formatDateTime(date);
    }
  } else if (/^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return formatDateTime(date);
  }
  // date_joined is mandatory: an unreadable value is sent on to validation, which names it.
  return text;
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

const FORMAT_DATES: Array<{ re: RegExp; order: 'ymd' | 'dmy' }> = [
  { re: /^(\d{4})-(\d{1,2})-(\d{1,2})$/, order: 'ymd' }, // %Y-%m-%d
  { re: /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/, order: 'ymd' }, // %Y/%m/%d
  { re: /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, order: 'dmy' }, // %d.%m.%Y
  { re: /^(\d{1,2})-(\d{1,2})-(\d{4})$/, order: 'dmy' }, // %d-%m-%Y
  { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, order: 'dmy' }, // %d/%m/%Y
];

/** [year, month, day] of a string in one of the user-import format's five date formats (not range-checked). */
function parseFormatDate(text: string): [number, number, number] | undefined {
  for (const { re, order } of FORMAT_DATES) {
    const m = re.exec(text);
    if (!m) continue;
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return order === 'ymd' ? [a, b, c] : [c, b, a];
  }
  return undefined;
}

function isFormatDate(text: string): boolean {
  const parts = parseFormatDate(text);
  return parts !== undefined && isCalendarDate(...parts);
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

function isDateTime(text: string): boolean {
  const m = DATETIME.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s = '0'] = m
    .slice(1)
    .map((x) => x ?? '0')
    .map(Number);
  return isCalendarDate(y!, mo!, d!) && h! < 24 && mi! < 60 && Number(s) < 60;
}

/** What a value was, without the value: problem reasons must never echo a password. */
function got(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (input === '') return 'empty string';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

const typed = (expected: string) => (iss: { input?: unknown }) =>
  isNullish(iss.input) || iss.input === ''
    ? `is required (got ${got(iss.input)})`
    : `must be ${expected} (got ${got(iss.input)})`;

const requiredText = z
  .string({ error: typed('a string') })
  .refine((s) => s.trim() !== '', { error: (iss) => `is required (got ${got(iss.input)})` });
const requiredBoolean = z.boolean({ error: typed('true or false') });

const targetUserSchema = z
  .strictObject(
    {
      first_name: requiredText,
      last_name: requiredText,
      email: z
        .string({ error: typed('a string') })
        .min(1, { error: 'is required (got empty string)' })
        .max(254, { error: 'must be at most 254 characters' })
        .pipe(z.email({ pattern: z.regexes.html5Email, error: 'must be an email address' })),
      gender: z
        .union([z.enum(['male', 'female']), z.literal(''), z.null()], {
          error: (iss) => `must be male, female, null or "" (got ${got(iss.input)})`,
        })
        .optional(),
      sms_allowed: requiredBoolean,
      email_allowed: requiredBoolean,
      verified: requiredBoolean,
      call_allowed: z.boolean({ error: (iss) => `must be true or false (got ${got(iss.input)})` }).optional(),
      phone: z
        .string({ error: (iss) => `must be a string or null (got ${got(iss.input)})` })
        .regex(/^5\d{9}$/, { error: 'must be 5XXXXXXXXX (10 digits, starting with 5) or null' })
        .nullable()
        .optional(),
      date_of_birth: z
        .string({ error: (iss) => `must be a string or null (got ${got(iss.input)})` })
        .refine(isFormatDate, {
          error: 'must be a real date as %Y-%m-%d, %Y/%m/%d, %d.%m.%Y, %d-%m-%Y or %d/%m/%Y, or null',
        })
        .nullable()
        .optional(),
      date_joined: z
        .string({ error: typed('a datetime string') })
        .refine(isDateTime, { error: 'must be a datetime such as 2020-01-31T09:30:00Z' }),
      password: z
        .string({ error: typed('a string') })
        .refine((p) => PASSWORD_FORM.test(p), {
          error: 'must be algorithm$salt$hash: md5, sha1 or sha256, no $ in the salt, lowercase hex',
        })
        .refine((p) => parseTargetPassword(p) !== undefined, {
          error: 'hash has the wrong length for its algorithm (md5 32, sha1 40, sha256 64 hex digits)',
        }),
      password_algorithm: z.enum(['md5', 'sha1', 'sha256'], {
        error: (iss) =>
          isNullish(iss.input) ? `is required (got ${got(iss.input)})` : 'must be md5, sha1 or sha256',
      }),
      customer_code: requiredText,
      facebook_uuid: z
        .string({ error: (iss) => `must be a string, null or "" (got ${got(iss.input)})` })
        .nullable()
        .optional(),
      attributes: z.custom<Record<string, unknown>>(isPlainObject, {
        error: (iss) =>
          isNullish(iss.input)
            ? `is required, {} when empty (got ${got(iss.input)})`
            : `must be an object (got ${got(iss.input)})`,
      }),
      user_type: z.enum(['guest', 'registered'], {
        error: (iss) =>
          isNullish(iss.input) ? `is required (got ${got(iss.input)})` : 'must be guest or registered',
      }),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? 'is not a field of the user-import format'
          : 'must be a JSON object',
    },
  )
  .superRefine((user, ctx) => {
    const form = parseTargetPassword(user.password);
    if (form && form.algorithm !== user.password_algorithm) {
      ctx.addIssue({
        code: 'custom',
        path: ['password_algorithm'],
        message: `must equal the password's algorithm (${form.algorithm})`,
      });
    }
  });

/** The user-import format's rules, strictly; at most one problem per field, never echoing a value. */
export function validateTargetUser(user: unknown): ValidationResult {
  if (!isPlainObject(user))
    return { ok: false, problems: [{ field: '(body)', reason: 'must be a JSON object' }] };
  const result = targetUserSchema.safeParse(user);
  if (result.success) return { ok: true, user: result.data as TargetUser };
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const fields =
      issue.code === 'unrecognized_keys'
        ? issue.keys
        : [issue.path.length > 0 ? String(issue.path[0]) : '(body)'];
    for (const field of fields) {
      if (seen.has(field)) continue;
      seen.add(field);
      problems.push({ field, reason: issue.message });
    }
  }
  return { ok: false, problems };
}

/** One line for logs, outbox rows and CLI output: `legacy row 28774: first_name is required (got null)`. */
export function describeProblems(problems: readonly Problem[], legacyId: string): string {
  return `legacy row ${legacyId}: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`;
}
