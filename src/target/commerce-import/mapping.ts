// A legacy row as a user of the commerce platform's user-import format: which column feeds
// which field (defaults that fit the import guide's be_users table, `target.mapping` over
// them), the constants of `target.defaults`, and the conversions of legacy values (M/F,
// tinyint, dates, Turkish mobiles). Conversion, not validation: schema.ts names what is wrong.
import { BridgeError } from '../../errors.ts';
import { type FieldSpec, isNullish, readField } from '../read-field.ts';
import { isPlainObject, jsonSafe, toBoolean, toText } from '../values.ts';
import {
  type CommerceAlgorithm,
  formatPassword,
  parsePassword,
  passwordFromPlain,
  unusablePassword,
} from './password.ts';
import { type CommerceUser, isCalendarDate, MAPPABLE_FIELDS, parseFormatDate } from './schema.ts';

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

type MappableField = Exclude<keyof CommerceUser, 'password' | 'password_algorithm' | 'attributes'>;

/**
 * Each mappable field's conversion and the value it takes when neither a column nor
 * `defaults` provides one. Typed over the schema's fields, so a field added to the schema
 * must be given one here.
 */
const FIELDS: { [F in MappableField]: { convert: (v: unknown) => unknown; builtin: unknown } } = {
  first_name: { convert: toText, builtin: null },
  last_name: { convert: toText, builtin: null },
  email: { convert: toText, builtin: null },
  gender: { convert: toGender, builtin: null },
  sms_allowed: { convert: toBoolean, builtin: false },
  email_allowed: { convert: toBoolean, builtin: false },
  // The user has just proved the password, which is what the platform means by verified.
  verified: { convert: toBoolean, builtin: true },
  call_allowed: { convert: toBoolean, builtin: false },
  phone: { convert: toTurkishMobile, builtin: null },
  date_of_birth: { convert: toBirthDate, builtin: null },
  // Mandatory and never invented: set `defaults.date_joined` (a date, or "now") for tables that lack it.
  date_joined: { convert: toJoinedAt, builtin: null },
  customer_code: { convert: toText, builtin: null },
  facebook_uuid: { convert: toText, builtin: null },
  user_type: { convert: toUserType, builtin: 'registered' },
};

const ATTRIBUTE_PREFIX = 'attributes.';

export interface MappingConfig {
  /** Config `target.mapping`: overrides DEFAULT_MAPPING entry by entry; "" means no column. */
  mapping?: Record<string, string> | undefined;
  /** Config `target.defaults`: constants for fields whose column is absent or NULL. */
  defaults?: Record<string, unknown> | undefined;
  /** Config `target.empty_as_missing`: an empty string counts as NULL too. */
  emptyAsMissing?: boolean | undefined;
}

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
  const mappable = new Set(MAPPABLE_FIELDS);
  for (const [field, column] of Object.entries(mapping)) {
    const isAttribute = field.startsWith(ATTRIBUTE_PREFIX) && field.length > ATTRIBUTE_PREFIX.length;
    if (!mappable.has(field) && !isAttribute) {
      issues.push(
        field === 'password' || field === 'password_algorithm'
          ? `target.mapping.${field}: the password comes from the login, not from a column; remove the key`
          : `target.mapping.${field}: not a target field; use one of ${MAPPABLE_FIELDS.join(', ')} or attributes.NAME`,
      );
    } else if (column !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(column)) {
      issues.push(`target.mapping.${field}: must be a plain column name, or "" to send the default`);
    }
  }
  for (const [field, value] of Object.entries(defaults)) {
    if (field === 'attributes') {
      if (!isPlainObject(value))
        issues.push('target.defaults.attributes: must be an object, e.g. { source: legacy }');
    } else if (!mappable.has(field)) {
      issues.push(`target.defaults.${field}: not a target field that takes a constant; remove the key`);
    }
  }
  return issues;
}

/** The legacy columns a mapping reads: the only ones a delivery job needs to keep. */
export function mappedColumns(config: MappingConfig): string[] {
  const mapping = { ...DEFAULT_MAPPING, ...config.mapping };
  return [...new Set(Object.values(mapping).filter((c) => c !== ''))];
}

/**
 * Where the password field comes from:
 * - plain: the password at login, re-hashed into a fresh form;
 * - form: a form made before (at login, kept in the outbox; or from a digest hash at import);
 * - unusable: none; the user gets a random one and `attributes.password_reset_required`.
 */
export type PasswordSource =
  | { kind: 'plain'; password: string; algorithm: CommerceAlgorithm }
  | { kind: 'form'; form: string }
  | { kind: 'unusable'; algorithm: CommerceAlgorithm };

/**
 * The user object for a legacy row. Values are converted but not validated: a mandatory
 * field the row cannot fill (the example row's NULL names, a NULL created_at) stays null,
 * and validateUser names it.
 *
 * Throws BridgeError `target_mapping_invalid` for a bad mapping, LegacyRowError when an
 * explicitly mapped column is not in the row, and BridgeError `password_form_invalid` for a
 * form that is not in the user-import form.
 */
export function buildUser(
  row: Record<string, unknown>,
  config: MappingConfig & { legacyId: string },
  source: PasswordSource,
): CommerceUser {
  const issues = checkMapping(config.mapping, config.defaults);
  if (issues.length > 0) {
    throw new BridgeError(
      'target_mapping_invalid',
      `Invalid target mapping:\n  - ${issues.join('\n  - ')}`,
      500,
    );
  }
  const explicit = config.mapping ?? {};
  const mapping: Record<string, string> = { ...DEFAULT_MAPPING, ...explicit };
  const defaults = config.defaults ?? {};
  const spec = (field: string, convert: FieldSpec<unknown>['convert']): FieldSpec<unknown> => ({
    field,
    column: mapping[field],
    explicit: field in explicit,
    fallback: defaults[field],
    convert,
    emptyAsMissing: config.emptyAsMissing,
  });

  const user: Record<string, unknown> = {};
  for (const [field, { convert, builtin }] of Object.entries(FIELDS)) {
    const { value, mapped } = readField(row, spec(field, convert));
    // A NULL in a mapped consent column is no consent, whatever the unmapped default.
    user[field] = value ?? (mapped && convert === toBoolean ? false : builtin);
  }
  user.customer_code ??= config.legacyId;

  const attributes: Record<string, unknown> = isPlainObject(defaults.attributes)
    ? { ...defaults.attributes }
    : {};
  for (const field of Object.keys(mapping)) {
    if (!field.startsWith(ATTRIBUTE_PREFIX)) continue;
    const { value } = readField(
      row,
      spec(field, (v) => jsonSafe(v)),
    );
    if (!isNullish(value)) attributes[field.slice(ATTRIBUTE_PREFIX.length)] = value;
  }

  switch (source.kind) {
    case 'plain':
      user.password = passwordFromPlain(source.password, source.algorithm);
      user.password_algorithm = source.algorithm;
      break;
    case 'form': {
      const form = parsePassword(source.form);
      if (!form)
        throw new BridgeError('password_form_invalid', 'The password form is not algorithm$salt$hash.');
      user.password = formatPassword(form);
      user.password_algorithm = form.algorithm;
      break;
    }
    case 'unusable':
      user.password = unusablePassword(source.algorithm);
      user.password_algorithm = source.algorithm;
      attributes.password_reset_required = true;
      break;
  }
  user.attributes = attributes;
  // Unfilled mandatory fields stay null on purpose (see above): validation reports them.
  return user as CommerceUser;
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
