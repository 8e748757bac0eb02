// A legacy row as a SCIM 2.0 User (RFC 7643 §4.1) with the enterprise extension (§4.3):
// each attribute the mapping may fill, the column that fills it by default, and the zod
// schema the payload must pass before it is sent. externalId is always the legacy id, which
// is how the bridge finds the user again at the service provider.
import { z } from 'zod';
import { BridgeError } from '../../errors.ts';
import { type FieldSpec, readField } from '../read-field.ts';
import type { Problem } from '../types.ts';
import { toBoolean, toNonEmptyText } from '../values.ts';

export const CORE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ENTERPRISE_PREFIX = 'enterprise.';

/** Mappable attribute → the legacy column that feeds it unless `target.mapping` says otherwise. */
const ATTRIBUTES: Record<string, { column?: string; convert: (v: unknown) => unknown }> = {
  userName: { column: 'username', convert: toNonEmptyText },
  displayName: { convert: toNonEmptyText },
  nickName: { convert: toNonEmptyText },
  title: { convert: toNonEmptyText },
  userType: { convert: toNonEmptyText },
  preferredLanguage: { convert: toNonEmptyText },
  locale: { convert: toNonEmptyText },
  timezone: { convert: toNonEmptyText },
  active: { convert: toBoolean },
  'name.givenName': { column: 'first_name', convert: toNonEmptyText },
  'name.familyName': { column: 'last_name', convert: toNonEmptyText },
  'name.middleName': { convert: toNonEmptyText },
  'name.honorificPrefix': { convert: toNonEmptyText },
  'name.honorificSuffix': { convert: toNonEmptyText },
  email: { column: 'email', convert: toNonEmptyText },
  phone: { convert: toNonEmptyText },
  'enterprise.employeeNumber': { convert: toNonEmptyText },
  'enterprise.costCenter': { convert: toNonEmptyText },
  'enterprise.organization': { convert: toNonEmptyText },
  'enterprise.division': { convert: toNonEmptyText },
  'enterprise.department': { convert: toNonEmptyText },
};

export const SCIM_ATTRIBUTES: readonly string[] = Object.keys(ATTRIBUTES);

export interface ScimMappingConfig {
  mapping: Record<string, string>;
  defaults: Record<string, unknown>;
  /** Config `target.empty_as_missing`. */
  emptyAsMissing?: boolean | undefined;
}

export function checkScimMapping(config: ScimMappingConfig): string[] {
  const issues: string[] = [];
  for (const [attribute, column] of Object.entries(config.mapping)) {
    if (!(attribute in ATTRIBUTES)) {
      issues.push(
        `target.mapping.${attribute}: not a SCIM attribute the bridge maps; use one of ${SCIM_ATTRIBUTES.join(', ')}`,
      );
    } else if (column !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(column)) {
      issues.push(`target.mapping.${attribute}: must be a plain column name, or "" to send nothing`);
    }
  }
  for (const attribute of Object.keys(config.defaults)) {
    if (!(attribute in ATTRIBUTES))
      issues.push(`target.defaults.${attribute}: not a SCIM attribute the bridge maps; remove the key`);
  }
  return issues;
}

export function scimColumns(config: ScimMappingConfig): string[] {
  const columns = Object.entries(ATTRIBUTES).map(([a, spec]) => config.mapping[a] ?? spec.column ?? '');
  return [...new Set(columns.filter((c) => c !== ''))];
}

const scimUserSchema = z.looseObject({
  schemas: z.array(z.string()).min(1),
  externalId: z.string().min(1, { error: 'is required: the legacy id' }),
  userName: z
    .string({ error: 'is required: map a column to userName, or set target.defaults.userName' })
    .min(1),
  emails: z
    .array(
      z.object({
        value: z.email({ error: 'must be an email address' }),
        type: z.string(),
        primary: z.boolean(),
      }),
    )
    .optional(),
  active: z.boolean(),
});

/** The SCIM User of one row; `password` only when one is to be sent. */
export function buildScimUser(
  row: Record<string, unknown>,
  config: ScimMappingConfig & { legacyId: string },
  password: string | null,
): { ok: true; user: Record<string, unknown> } | { ok: false; problems: Problem[] } {
  const issues = checkScimMapping(config);
  if (issues.length)
    throw new BridgeError(
      'target_mapping_invalid',
      `Invalid target mapping:\n  - ${issues.join('\n  - ')}`,
      500,
    );
  const values: Record<string, unknown> = {};
  for (const [attribute, { column, convert }] of Object.entries(ATTRIBUTES)) {
    const spec: FieldSpec<unknown> = {
      field: attribute,
      column: config.mapping[attribute] ?? column,
      explicit: attribute in config.mapping,
      fallback: config.defaults[attribute],
      convert,
      emptyAsMissing: config.emptyAsMissing,
    };
    const { value } = readField(row, spec);
    if (value !== null) values[attribute] = value;
  }
  const name: Record<string, unknown> = {};
  const enterprise: Record<string, unknown> = {};
  const user: Record<string, unknown> = { schemas: [CORE_SCHEMA], externalId: config.legacyId, active: true };
  for (const [attribute, value] of Object.entries(values)) {
    if (attribute.startsWith('name.')) name[attribute.slice(5)] = value;
    else if (attribute.startsWith(ENTERPRISE_PREFIX))
      enterprise[attribute.slice(ENTERPRISE_PREFIX.length)] = value;
    else if (attribute === 'email') user.emails = [{ value, type: 'work', primary: true }];
    else if (attribute === 'phone') user.phoneNumbers = [{ value, type: 'mobile' }];
    else user[attribute] = value;
  }
  // A table without a user name column signs its users in by e-mail: that is their user name.
  if (user.userName === undefined && typeof values.email === 'string') user.userName = values.email;
  if (Object.keys(name).length) {
    name.formatted = [
      name.honorificPrefix,
      name.givenName,
      name.middleName,
      name.familyName,
      name.honorificSuffix,
    ]
      .filter(Boolean)
      .join(' ');
    user.name = name;
  }
  if (Object.keys(enterprise).length) {
    user.schemas = [CORE_SCHEMA, ENTERPRISE_SCHEMA];
    user[ENTERPRISE_SCHEMA] = enterprise;
  }
  if (password !== null) user.password = password;
  const checked = scimUserSchema.safeParse(user);
  if (checked.success) return { ok: true, user };
  const problems = checked.error.issues.map((i) => ({
    field: i.path.join('.') || '(body)',
    reason: i.message,
  }));
  return { ok: false, problems };
}
