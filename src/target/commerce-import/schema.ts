// The commerce platform's user-import format as a zod schema: every field of test_user.json
// with its rule. It is the one list of fields: the mapping's keys and the user type come from
// it. The bridge validates with it before sending, and the reference platform with the same
// rules, so a payload that passes here is one the bridge may send.
import { z } from 'zod';
import { isNullish } from '../read-field.ts';
import type { Problem } from '../types.ts';
import { isPlainObject } from '../values.ts';
import { PASSWORD_FORM, parsePassword } from './password.ts';

export function isCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const FORMAT_DATES: Array<{ re: RegExp; order: 'ymd' | 'dmy' }> = [
  { re: /^(\d{4})-(\d{1,2})-(\d{1,2})$/, order: 'ymd' }, // %Y-%m-%d
  { re: /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/, order: 'ymd' }, // %Y/%m/%d
  { re: /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, order: 'dmy' }, // %d.%m.%Y
  { re: /^(\d{1,2})-(\d{1,2})-(\d{4})$/, order: 'dmy' }, // %d-%m-%Y
  { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, order: 'dmy' }, // %d/%m/%Y
];

/** [year, month, day] of a string in one of the user-import format's five date formats (not range-checked). */
export function parseFormatDate(text: string): [number, number, number] | undefined {
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

export const commerceUserSchema = z
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
        .refine((p) => parsePassword(p) !== undefined, {
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
    const form = parsePassword(user.password);
    if (form && form.algorithm !== user.password_algorithm) {
      ctx.addIssue({
        code: 'custom',
        path: ['password_algorithm'],
        message: `must equal the password's algorithm (${form.algorithm})`,
      });
    }
  });

/** One user as the user-import format's test_user.json describes it. */
export type CommerceUser = z.output<typeof commerceUserSchema>;

/** Fields whose value is a password, or made from one: never read from a column. */
const PASSWORD_FIELDS = new Set(['password', 'password_algorithm']);

/** The fields a legacy column (or a constant) may fill: every field but the password and attributes. */
export const MAPPABLE_FIELDS: readonly string[] = Object.keys(commerceUserSchema.shape).filter(
  (f) => !PASSWORD_FIELDS.has(f) && f !== 'attributes',
);

export type ValidationResult = { ok: true; user: CommerceUser } | { ok: false; problems: Problem[] };

/** The user-import format's rules, strictly; at most one problem per field, never echoing a value. */
export function validateUser(user: unknown): ValidationResult {
  if (!isPlainObject(user))
    return { ok: false, problems: [{ field: '(body)', reason: 'must be a JSON object' }] };
  const result = commerceUserSchema.safeParse(user);
  if (result.success) return { ok: true, user: result.data };
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
