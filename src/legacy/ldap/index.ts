// The ldap kind: users are entries of an LDAP directory or Active Directory. A search bind
// (the service account finds the entry with the login name escaped by RFC 4515), then a
// bind as the user's DN with their password. Disabled accounts (a filter from config, AD's
// userAccountControl bit by default) are refused. Where the directory lets the service
// account read userPassword, the bridge verifies that hash itself instead. The bulk import
// pages through the directory with RFC 2696 paged results, in legacy id order.
import { readFileSync } from 'node:fs';
import { type ConnectionOptions, checkServerIdentity } from 'node:tls';
import {
  Client,
  EqualityFilter,
  type Filter,
  InvalidCredentialsError,
  NoSuchObjectError,
  OrFilter,
} from 'ldapts';
import type { LegacyConfig, LegacyLdapConfig } from '../../config/schema.ts';
import { LegacyUnavailableError } from '../../errors.ts';
import { silentLogger } from '../../logger.ts';
import { LegacyConfigError } from '../errors.ts';
import { applyFields, checkFields, fieldInputs } from '../fields.ts';
import { isLookupValue } from '../lookup-value.ts';
import { commonEntries, type MappingEntry } from '../mapping.ts';
import { normalizeValue, valueAsText } from '../row-values.ts';
import { selfVerifyingParts } from '../self-verifying.ts';
import type { LegacySourceDeps } from '../source.ts';
import type { LegacyRow, LegacySource } from '../types.ts';

/**
 * RFC 4515 §3: * ( ) \ NUL and the other ASCII control characters as \XX escapes. Characters
 * beyond ASCII stay as they are (the RFC allows UTF-8 there): ldapts reads each \XX as one
 * character, not one byte, so an escaped multi-byte character would reach the directory garbled.
 */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    out +=
      code === 0x2a || code === 0x28 || code === 0x29 || code === 0x5c || code < 0x20 || code === 0x7f
        ? `\\${code.toString(16).padStart(2, '0')}`
        : char;
  }
  return out;
}

const PRESETS = {
  openldap: {
    filter: '(|(uid={identifier})(mail={identifier}))',
    id: 'entryUUID',
    identifiers: ['uid', 'mail'],
    disabled: undefined as string | undefined,
  },
  'active-directory': {
    filter: '(|(sAMAccountName={identifier})(userPrincipalName={identifier})(mail={identifier}))',
    id: 'objectGUID',
    identifiers: ['sAMAccountName', 'userPrincipalName', 'mail'],
    disabled: '(userAccountControl:1.2.840.113556.1.4.803:=2)',
  },
};

function tlsOptions(ldap: LegacyLdapConfig): ConnectionOptions {
  // The certificate is checked against the host of legacy.ldap.url: after StartTLS the
  // socket no longer knows the name it was opened with.
  const host = new URL(ldap.url).hostname.replace(/^\[|\]$/g, '');
  const opts: ConnectionOptions = {
    rejectUnauthorized: ldap.tls.reject_unauthorized,
    checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
  };
  if (ldap.tls.ca_file) {
    try {
      opts.ca = readFileSync(ldap.tls.ca_file);
    } catch {
      throw new LegacyConfigError(
        'legacy.ldap.tls.ca_file',
        `legacy.ldap.tls.ca_file: ${ldap.tls.ca_file} cannot be read. Fix: point it at the PEM file of the directory's CA.`,
      );
    }
  }
  return opts;
}

/** Attributes read as bytes, whatever they hold: AD's objectGUID is 16 bytes, not text. */
const BINARY_ATTRIBUTES = ['objectGUID'];

/** Active Directory's MaxPageSize default: no directory is asked for larger pages. */
const MAX_PAGE_SIZE = 1000;

export function createLdapSource(config: LegacyConfig, deps: LegacySourceDeps = {}): LegacySource {
  const ldap = config.ldap!;
  checkFields(config.fields, undefined, false, ldap.password_attribute ? [ldap.password_attribute] : []);
  const preset = PRESETS[ldap.directory];
  const filterTemplate = ldap.filter ?? preset.filter;
  if (!filterTemplate.includes('{identifier}') || !/^\(.*\)$/s.test(filterTemplate.trim())) {
    throw new LegacyConfigError(
      'legacy.ldap.filter',
      'legacy.ldap.filter must be a parenthesised filter holding {identifier}. Fix: e.g. (|(uid={identifier})(mail={identifier})).',
    );
  }
  const idAttribute = ldap.id_attribute ?? preset.id;
  const disabledFilter = ldap.disabled_filter ?? preset.disabled;
  const logger = (deps.logger ?? silentLogger).child({ component: 'legacy' });
  const tls = ldap.url.startsWith('ldaps:') || ldap.start_tls ? tlsOptions(ldap) : undefined;
  const identifierAttributes = preset.identifiers;
  const attributes = [
    ...new Set([
      idAttribute,
      ...identifierAttributes,
      ...Object.values(config.claims).filter((c) => !Object.hasOwn(config.fields, c)),
      ...Object.values(config.fields).flatMap(fieldInputs),
      ...(ldap.password_attribute ? [ldap.password_attribute] : []),
    ]),
  ];
  const bufferAttributes = [
    ...BINARY_ATTRIBUTES,
    ...(ldap.password_attribute ? [ldap.password_attribute] : []),
  ];
  let outage: string | undefined;

  async function connect(): Promise<Client> {
    const client = new Client({
      url: ldap.url,
      timeout: ldap.timeout_ms,
      connectTimeout: ldap.timeout_ms,
      ...(tls && ldap.url.startsWith('ldaps:') ? { tlsOptions: tls } : {}),
    });
    if (ldap.start_tls) await client.startTLS(tls);
    return client;
  }

  function unavailable(err: unknown, op: string): never {
    const e = err as { code?: unknown; name?: unknown; message?: unknown };
    const code =
      typeof e.code === 'string'
        ? e.code
        : typeof e.code === 'number'
          ? `LDAP_${e.code}`
          : /timeout/i.test(String(e.message))
            ? 'TIMEOUT'
            : String(e.name ?? 'UNKNOWN');
    if (outage !== code) logger.error({ errorCode: code, op }, 'legacy directory unavailable');
    outage = code;
    throw new LegacyUnavailableError(`The legacy directory is unavailable (${code}).`);
  }

  /** Runs fn on a connection bound as the service account; the connection is always closed. */
  async function asService<T>(op: string, fn: (c: Client) => Promise<T>): Promise<T> {
    let client: Client | undefined;
    try {
      client = await connect();
      if (ldap.bind_dn) await client.bind(ldap.bind_dn, ldap.bind_password ?? '');
      const result = await fn(client);
      outage = undefined;
      return result;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) {
        logger.error(
          { errorCode: 'SERVICE_BIND_REFUSED', op },
          'legacy directory refused the service account',
        );
        throw new LegacyUnavailableError(
          'The legacy directory refused the service account (legacy.ldap.bind_dn / bind_password).',
        );
      }
      return unavailable(err, op);
    } finally {
      await client?.unbind().catch(() => {});
    }
  }

  /** The legacy id of an entry as toRow gives it: the id attribute's text, else the DN. */
  function idOf(entry: Record<string, unknown>): string {
    const v = entry[idAttribute];
    return valueAsText(normalizeValue(Array.isArray(v) ? v[0] : v)) ?? String(entry.dn);
  }

  function toRow(entry: Record<string, unknown>): LegacyRow {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry)) {
      if (k === 'dn') raw.dn = v;
      else if (Array.isArray(v))
        raw[k] = v.length === 1 ? normalizeValue(v[0]) : v.map((x) => normalizeValue(x));
      else raw[k] = normalizeValue(v);
    }
    for (const a of attributes) if (!Object.hasOwn(raw, a)) raw[a] = null;
    const passwordValue = ldap.password_attribute ? entry[ldap.password_attribute] : undefined;
    const password = valueAsText(Array.isArray(passwordValue) ? passwordValue[0] : passwordValue);
    // The hash is kept apart from the row that claims and payloads read.
    if (ldap.password_attribute) delete raw[ldap.password_attribute];
    const row = applyFields(raw, config.fields);
    return {
      id: idOf(entry),
      password,
      salt: undefined,
      identifiers: identifierAttributes
        .map((a) => row[a])
        .filter((v): v is string => typeof v === 'string' && v !== ''),
      row,
    };
  }

  async function findOne(op: string, filter: string | Filter): Promise<LegacyRow | undefined> {
    return asService(op, async (client) => {
      const { searchEntries } = await client.search(ldap.base_dn, {
        scope: 'sub',
        filter,
        attributes,
        sizeLimit: 2,
        explicitBufferAttributes: bufferAttributes,
      });
      // Two entries for one login name is ambiguous: nobody logs in as either.
      if (searchEntries.length !== 1) return undefined;
      const entry = searchEntries[0]!;
      if (disabledFilter) {
        const disabled = await client.search(entry.dn, {
          scope: 'base',
          filter: disabledFilter,
          attributes: ['dn'],
        });
        if (disabled.searchEntries.length > 0) return undefined;
      }
      return toRow(entry as Record<string, unknown>);
    }).catch((err) => {
      // sizeLimit exceeded means more than one entry: ambiguous, so no user.
      if ((err as { code?: unknown }).code === 4) return undefined;
      throw err;
    });
  }

  /**
   * The filter for one legacy id. A binary id (AD's objectGUID) is text only when its bytes
   * are; otherwise the id is their hex, which the filter gives back as the bytes themselves.
   */
  function idFilter(id: string): string | Filter {
    const asText = `(${idAttribute}=${escapeFilterValue(id)})`;
    if (!BINARY_ATTRIBUTES.includes(idAttribute) || !/^(?:[0-9a-f]{2})+$/i.test(id)) return asText;
    return new OrFilter({
      filters: [
        new EqualityFilter({ attribute: idAttribute, value: id }),
        new EqualityFilter({ attribute: idAttribute, value: Buffer.from(id, 'hex') }),
      ],
    });
  }

  // Every entry the login filter can find (its {identifier} as a presence or substring
  // match), less the disabled ones: the users the import and the cut-over total count.
  const presence = filterTemplate.replaceAll('{identifier}', '*');
  const listFilter = disabledFilter ? `(&${presence}(!${disabledFilter}))` : presence;

  /**
   * The ids and DNs of every listed user, in id order: one paged search (RFC 2696) that
   * reads only the id, so a directory whose size limit is below its user count still answers.
   */
  async function listing(pageSize: number): Promise<Array<{ id: string; dn: string }>> {
    return asService('page', async (client) => {
      const { searchEntries } = await client.search(ldap.base_dn, {
        scope: 'sub',
        filter: listFilter,
        attributes: [idAttribute],
        paged: { pageSize },
        explicitBufferAttributes: BINARY_ATTRIBUTES,
      });
      const seen = new Set<string>();
      const out: Array<{ id: string; dn: string }> = [];
      for (const entry of searchEntries) {
        const id = idOf(entry as Record<string, unknown>);
        // Two entries with one id cannot both be that user: neither is imported, as neither logs in.
        if (seen.has(id)) {
          const i = out.findIndex((e) => e.id === id);
          if (i >= 0) out.splice(i, 1);
          continue;
        }
        seen.add(id);
        out.push({ id, dn: entry.dn });
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  // The import's id order is the listing's; a later page continues the listing it began.
  let listed: Array<{ id: string; dn: string }> | undefined;

  const entries: MappingEntry[] = [
    ['legacy.ldap.id_attribute', 'id', idAttribute],
    ['legacy.ldap', 'dn', 'dn'],
    ...identifierAttributes.map((a, i): MappingEntry => [`legacy.ldap.filter (${i + 1})`, 'identifier', a]),
    ...commonEntries(config.claims, config.fields),
  ];

  return {
    kind: 'ldap',
    label: ldap.url,

    async findByIdentifier(identifier) {
      if (!isLookupValue(identifier)) return undefined;
      return findOne(
        'findByIdentifier',
        filterTemplate.replaceAll('{identifier}', escapeFilterValue(identifier)),
      );
    },

    async findById(id) {
      if (!isLookupValue(id)) return undefined;
      const row = await findOne('findById', idFilter(id));
      return row?.id === id ? row : undefined;
    },

    async verify(row, password) {
      const dn = typeof row.row.dn === 'string' ? row.row.dn : undefined;
      // An empty password is an unauthenticated bind, which a directory accepts (RFC 4513 §5.1.2).
      if (!dn || password === '') return { match: false, scheme: 'ldap-bind' };
      let client: Client | undefined;
      try {
        client = await connect();
        await client.bind(dn, password);
        return { match: true, scheme: 'ldap-bind' };
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return { match: false, scheme: 'ldap-bind' };
        return unavailable(err, 'bind');
      } finally {
        await client?.unbind().catch(() => {});
      }
    },

    verifyScheme: 'ldap-bind',

    async page(afterId, limit) {
      if (afterId === undefined || !listed) listed = await listing(Math.min(limit, MAX_PAGE_SIZE));
      const after = afterId === undefined ? undefined : String(afterId);
      const next = listed.filter((e) => after === undefined || e.id > after).slice(0, limit);
      if (next.length === 0) return [];
      return asService('page', async (client) => {
        // By DN, all at once on one connection; an entry disabled or gone since the listing drops out.
        const found = await Promise.all(
          next.map(async ({ dn }) => {
            try {
              const { searchEntries } = await client.search(dn, {
                scope: 'base',
                filter: listFilter,
                attributes,
                explicitBufferAttributes: bufferAttributes,
              });
              return searchEntries[0];
            } catch (err) {
              if (err instanceof NoSuchObjectError) return undefined;
              throw err;
            }
          }),
        );
        return found
          .filter((e): e is NonNullable<typeof e> => e !== undefined)
          .map((e) => toRow(e as Record<string, unknown>));
      });
    },

    async count() {
      listed = await listing(MAX_PAGE_SIZE);
      return listed.length;
    },

    ...selfVerifyingParts({
      entries,
      claims: config.claims,
      ping: async () => {
        await asService('ping', async () => undefined);
      },
    }),
  };
}
