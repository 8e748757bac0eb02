// The configuration schema. It is the documentation: every key carries a description and
// a default, or a reason why it has none. `npm run docs:config` renders the README's
// configuration reference from it, and `loadConfig` validates a file against it.
import { z } from 'zod';

const url = (what: string) =>
  z
    .string()
    .refine((v) => URL.canParse(v), { message: `must be an absolute URL (${what})` })
    .describe(what);

const millis = (description: string, def: number) =>
  z.number().int().positive().default(def).describe(`${description} Milliseconds.`);

const duration = (description: string, def: number) =>
  z.number().int().positive().default(def).describe(`${description} Seconds.`);

const identifierName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain column name (letters, digits, underscore)');

const tableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
    'must be a table name, optionally schema-qualified (auth_user, public.auth_user)',
  );

/** Names a legacy field reads: a column (or an earlier field); LDAP attributes may hold a hyphen. */
const sourceName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must be a plain column or attribute name (letters, digits, _ and -)');

const TRANSFORM_OPS = [
  'column',
  'split',
  'join',
  'coalesce',
  'set',
  'truthy',
  'constant',
  'list',
  'query',
] as const;

export const fieldTransformSchema = z
  .strictObject({
    column: sourceName.optional().describe('Copy a column.'),
    split: sourceName
      .optional()
      .describe('Split a full name on whitespace; `part` says which part the field takes.'),
    part: z
      .enum(['first', 'rest', 'last', 'all_but_last'])
      .default('first')
      .describe('With split: first word, all after the first, last word, or all before the last.'),
    join: z.array(sourceName).min(1).optional().describe('Join several columns, skipping missing ones.'),
    separator: z
      .string()
      .optional()
      .describe('With join (default one space) or list (default a comma; "json" reads a JSON array).'),
    coalesce: z.array(sourceName).min(1).optional().describe('The first column that holds a value.'),
    set: sourceName
      .optional()
      .describe('true when the column holds a value (a timestamp such as email_verified_at), else false.'),
    truthy: sourceName
      .optional()
      .describe("The column read as a flag: 1, BIT(1) 1, true, 't', 'yes' are true; anything else false."),
    constant: z.union([z.string(), z.number(), z.boolean()]).optional().describe('A constant value.'),
    list: sourceName
      .optional()
      .describe('A list of strings (roles, groups) from a delimited or JSON column.'),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        "kind sql: a second SELECT whose first column lists values for one user, with one ? bound to the user's id (groups from a join table).",
      ),
    lower: z.boolean().default(false).describe('Lower-case a text result.'),
    trim: z.boolean().default(true).describe('Trim whitespace around a text result.'),
    empty_as_missing: z
      .boolean()
      .default(true)
      .describe('An empty string counts as no value (for coalesce and default).'),
    default: z
      .union([z.string(), z.number(), z.boolean()])
      .optional()
      .describe('The value when the result is missing. No default: the field is left out.'),
  })
  .refine((t) => TRANSFORM_OPS.filter((op) => t[op] !== undefined).length === 1, {
    message: `must have exactly one of ${TRANSFORM_OPS.join(', ')}`,
  });

export const legacyHttpSchema = z
  .strictObject({
    style: z
      .enum(['user-migration', 'post'])
      .default('user-migration')
      .describe(
        "user-migration: the Keycloak community user-migration plugin's API (GET URL/{username or e-mail} for the user, POST URL/{username} {password} to check it), so an endpoint built for it works unchanged. post: one POST URL {identifier, password} answering the profile on a match.",
      ),
    url: url('The endpoint. No default.'),
    bearer_token: z
      .string()
      .min(1)
      .optional()
      .describe('Sent as Authorization: Bearer. Use ${VAR}. No default.'),
    basic: z
      .strictObject({ username: z.string().min(1), password: z.string() })
      .optional()
      .describe('Sent as Authorization: Basic. Use ${VAR} for the password. No default.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Further headers on every request.'),
    timeout_ms: z
      .number()
      .int()
      .positive()
      .default(3000)
      .describe('A request that takes longer counts as the legacy application unavailable. Milliseconds.'),
    id_field: sourceName
      .default('id')
      .describe("The profile's id field; the username is used when the profile has none."),
    identifier_fields: z
      .array(sourceName)
      .default(['username', 'email'])
      .describe('Profile fields the bridge also matches a migrated user on.'),
    breaker: z
      .strictObject({
        failures: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe('Consecutive unavailable answers that open the circuit.'),
        reset_ms: z
          .number()
          .int()
          .positive()
          .default(10000)
          .describe('How long an open circuit refuses at once before one request tries again. Milliseconds.'),
      })
      .prefault({})
      .describe('The circuit breaker: while open, logins answer 503 without calling the application.'),
  })
  .describe('kind http: the legacy application checks its own passwords.');

export const legacyLdapSchema = z
  .strictObject({
    url: z
      .string()
      .refine((v) => /^ldaps?:\/\//.test(v), { message: 'must start with ldap:// or ldaps://' })
      .describe('ldap://host:389 or ldaps://host:636. No default.'),
    start_tls: z.boolean().default(false).describe('Upgrade an ldap:// connection with StartTLS.'),
    tls: z
      .strictObject({
        ca_file: z
          .string()
          .optional()
          .describe('PEM file of the CA that signed the server. No default: the system CAs.'),
        reject_unauthorized: z
          .boolean()
          .default(true)
          .describe('Refuse a server certificate that does not verify. false only for a test directory.'),
      })
      .prefault({})
      .describe('TLS for ldaps:// and StartTLS.'),
    bind_dn: z
      .string()
      .optional()
      .describe('The service account that searches for the user. No default: an anonymous search.'),
    bind_password: z.string().optional().describe('Its password. Use ${VAR}.'),
    base_dn: z
      .string()
      .min(1)
      .describe('Where users are searched, e.g. ou=people,dc=example,dc=com. No default.'),
    directory: z
      .enum(['openldap', 'active-directory'])
      .default('openldap')
      .describe(
        'Sets the defaults of filter, id_attribute and disabled_filter: uid/mail and entryUUID, or sAMAccountName/userPrincipalName/mail, objectGUID and userAccountControl bit 2.',
      ),
    filter: z
      .string()
      .optional()
      .describe(
        'Search filter with {identifier} where the login name goes (escaped by RFC 4515). Default (|(uid={identifier})(mail={identifier})), or for active-directory (|(sAMAccountName={identifier})(userPrincipalName={identifier})(mail={identifier})).',
      ),
    id_attribute: sourceName
      .optional()
      .describe(
        'The attribute that is the legacy id. Default entryUUID, or objectGUID for active-directory.',
      ),
    disabled_filter: z
      .string()
      .optional()
      .describe(
        'A filter matching disabled accounts, refused at login, e.g. (pwdAccountLockedTime=*). Default for active-directory (userAccountControl:1.2.840.113556.1.4.803:=2); none for openldap.',
      ),
    password_attribute: sourceName
      .optional()
      .describe(
        'Read the stored hash from this attribute (userPassword) where the directory lets the service account see it; the bridge then verifies it itself. No default: the user binds.',
      ),
    timeout_ms: z.number().int().positive().default(3000).describe('Per operation. Milliseconds.'),
  })
  .describe('kind ldap: users are entries of an LDAP directory or Active Directory.');

export const legacyTotpSchema = z
  .strictObject({
    encoding: z
      .enum(['base32', 'hex', 'raw'])
      .default('base32')
      .describe(
        'How the secret is written once decrypted: base32 (RFC 4648, what authenticator apps show; Fortify, most PHP libraries), hex (django-otp key) or raw (the bytes themselves).',
      ),
    encryption: z
      .enum(['none', 'laravel'])
      .default('none')
      .describe(
        "none: the column holds the secret itself. laravel: the column holds Laravel's encrypter payload (encrypt() or encryptString(); AES-256-CBC with its MAC, or AES-GCM), opened with legacy.totp.key.",
      ),
    key: z
      .string()
      .optional()
      .describe(
        "The application's encryption key for encryption: laravel, as in its .env (APP_KEY=base64:…); use ${VAR}. No default: required with encryption: laravel.",
      ),
    previous_keys: z
      .array(z.string())
      .default([])
      .describe("Earlier keys still able to open older values (Laravel's APP_PREVIOUS_KEYS)."),
    digits: z.number().int().min(6).max(8).default(6).describe('Digits per code.'),
    period: z.number().int().min(10).max(120).default(30).describe('Seconds each code is valid for.'),
    algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1').describe('HMAC of the codes.'),
  })
  .prefault({})
  .describe('How the legacy TOTP secret column (legacy.columns.totp_secret) is read.');

export const legacySchema = z
  .strictObject({
    kind: z
      .enum(['sql', 'http', 'ldap'])
      .default('sql')
      .describe(
        "What holds the users: sql (a table or query, read through legacy.connection), http (the legacy application's own check, legacy.http) or ldap (a directory, legacy.ldap).",
      ),
    connection: z
      .string()
      .refine((v) => /^(mysql|mariadb|postgres|postgresql|pglite|sqlite):/.test(v), {
        message:
          'must start with mysql:, mariadb:, postgres:, pglite: or sqlite: (e.g. mysql://user:pass@127.0.0.1:3306/shop)',
      })
      .optional()
      .describe(
        'kind sql: connection URL of the legacy user database, read-only. mysql:, mariadb:, postgres:, pglite: (an embedded PGlite directory, or pglite:memory) or sqlite: (a file path, opened read-only). No default: without a legacy section the bridge serves only accounts it already holds.',
      ),
    table: tableName
      .optional()
      .describe(
        'kind sql: the legacy user table, e.g. be_users, or schema-qualified (public.auth_user). No default: set table or query.',
      ),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        'kind sql: a SELECT (joins allowed) used in place of legacy.table as a derived table; the bridge adds its own WHERE, ORDER BY and LIMIT around it with bound parameters. Identifiers, columns, claims and fields name its output columns. Checked at start: one read-only statement whose named columns are present. No default.',
      ),
    identifiers: z
      .array(identifierName)
      .min(1)
      .default(['username', 'email'])
      .describe(
        'Columns a login name is matched on, in order. A column named email (or listed in case_insensitive) is matched case-insensitively.',
      ),
    case_insensitive: z
      .array(identifierName)
      .default(['email'])
      .describe(
        "Identifier columns matched without regard to case; every other identifier column is matched exactly, case included. One rule, the same before migration (the legacy lookup, whatever the column's collation) and after it (the bridge's own login names), so distinct legacy users such as dave and DAVE each keep their own login. A column named email is always matched without regard to case.",
      ),
    columns: z
      .strictObject({
        id: identifierName.default('id').describe('Primary key column.'),
        password: identifierName.default('password').describe('Password hash column.'),
        salt: identifierName.optional().describe('Salt column, when the salt is stored apart. No default.'),
        scheme: identifierName
          .optional()
          .describe(
            "Column naming each row's hash algorithm (Gitea's passwd_hash_algo), mapped to schemes by legacy.password.schemes. No default: every row uses legacy.password.scheme.",
          ),
        last_login: identifierName
          .optional()
          .describe('Last-login column, for the cut-over readiness figure. No default.'),
        totp_secret: identifierName
          .optional()
          .describe(
            "TOTP secret column (Laravel Fortify's two_factor_secret, a base32 column elsewhere): carried over at migration, so the user keeps their authenticator app. See legacy.totp for its encoding. No default: no TOTP is carried over.",
          ),
        totp_confirmed_at: identifierName
          .optional()
          .describe(
            'Column that is NULL while a TOTP secret was set up but never confirmed (Fortify two_factor_confirmed_at): such a secret is not carried over. No default: every non-empty secret counts.',
          ),
      })
      .prefault({})
      .describe('Which legacy columns hold the id, the hash and the salt.'),
    where: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe(
        'Equality filter that a row must pass to log in, e.g. { is_active: 1 }. Bound as parameters. No default: every row.',
      ),
    password: z
      .strictObject({
        scheme: z
          .string()
          .default('auto')
          .describe(
            'auto detects the scheme from the stored hash; or a scheme id or preset (symfony-message-digest, aspnet-membership, werkzeug-legacy, rabbitmq, mysql323); or a scheme expression such as sha1(salt + password) or bcrypt(md5(password)). Checked at start. With legacy.columns.scheme, the scheme of rows whose column is empty.',
          ),
        pepper: z
          .string()
          .min(1)
          .optional()
          .describe(
            "The application's secret that its hashes mix in (the `pepper` of a scheme expression: Devise's pepper, PrestaShop's _COOKIE_KEY_, a Spring secret, Firebase's base64_signer_key). Use ${VAR}; never logged. No default: no pepper.",
          ),
        schemes: z
          .record(z.string(), z.string())
          .optional()
          .describe(
            "Value of legacy.columns.scheme → scheme, e.g. { bcrypt: bcrypt, pbkdf2: 'pbkdf2_sha256(password, salt, 10000, 50)' }. A row whose value is missing here cannot log in (and is logged). No default: needed only with legacy.columns.scheme.",
          ),
      })
      .prefault({})
      .describe('How the legacy password column is verified.'),
    totp: legacyTotpSchema,
    claims: z
      .record(z.string(), identifierName)
      .default({
        email: 'email',
        given_name: 'first_name',
        family_name: 'last_name',
        preferred_username: 'username',
      })
      .describe('OIDC claim ← legacy column (or a name from legacy.fields).'),
    fields: z
      .record(identifierName, fieldTransformSchema)
      .default({})
      .describe(
        'Computed fields, added to each row at the source, that claims, identifiers and target.mapping name like columns: e.g. { first_name: { split: name, part: first }, verified: { set: email_verified_at }, groups: { list: roles } }. Declarative, checked at start; a field may read one declared before it. No default.',
      ),
    http: legacyHttpSchema.optional(),
    ldap: legacyLdapSchema.optional(),
    sub: z
      .enum(['legacy_id', 'uuid'])
      .default('legacy_id')
      .describe('The subject of a migrated user: the legacy id, or a random UUID kept stable.'),
    pool: z
      .strictObject({
        min: z.number().int().min(0).default(0).describe('Connections kept open while idle.'),
        max: z.number().int().min(1).max(100).default(5).describe('Connections open at most.'),
      })
      .prefault({})
      .describe(
        'Connection pool toward the legacy database. Keep it small: the database was never built to face the internet.',
      ),
    query_timeout_ms: z
      .number()
      .int()
      .positive()
      .default(3000)
      .describe('A legacy query that runs longer fails; login then answers 503. Milliseconds.'),
    coexistence: z
      .strictObject({
        recheck_at_login: z
          .boolean()
          .default(true)
          .describe(
            "At each login of a migrated user, look the user's legacy row up by id (one indexed lookup): a row that is gone or no longer passes legacy.where refuses the login, so a deactivation or deletion in the legacy application holds at the bridge. false: only the sweep does this.",
          ),
        when_unreachable: z
          .enum(['open', 'closed'])
          .default('open')
          .describe(
            'When the legacy database cannot be reached for that re-check: open lets a migrated user log in with the bridge password (a migrated user never depends on the legacy database); closed refuses the login until it is back.',
          ),
        sweep_interval_seconds: z
          .number()
          .int()
          .min(0)
          .default(3600)
          .describe(
            'How often the delivery worker sweeps the bridge accounts (as `accounts sync` does): an account whose legacy row is gone or filtered out by legacy.where is disabled, its sessions and tokens revoked; one the sweep disabled is enabled again when its row is back. Replicas sharing one store take turns through a lease in it: each round one of them sweeps, the others skip. 0: only `accounts sync`. Seconds.',
          ),
        sweep_page: z
          .number()
          .int()
          .min(1)
          .max(10000)
          .default(500)
          .describe('Bridge accounts read per page of the sweep.'),
      })
      .prefault({})
      .describe(
        'Until cut-over, the bridge and the legacy application agree on who may log in. Removing legacy (cut-over) turns all of it off.',
      ),
  })
  .superRefine((l, ctx) => {
    const need = (key: string, why: string) => ctx.addIssue({ code: 'custom', path: [key], message: why });
    if (l.kind === 'sql') {
      if (!l.connection)
        need('connection', 'is required with kind sql. Fix: set it to the URL of the legacy database');
      if (!l.table && !l.query)
        need(
          'table',
          'or legacy.query is required with kind sql. Fix: name the user table, or give a SELECT',
        );
      if (l.table && l.query) need('query', 'and legacy.table are both set. Fix: keep one of them');
    } else if (!l[l.kind]) {
      need(
        l.kind,
        `is required with kind ${l.kind}. Fix: add the legacy.${l.kind} section (see the configuration reference)`,
      );
    }
  })
  .describe('The legacy user store. Omit it to serve only the accounts in the bridge store.');

const targetHeaders = z
  .record(z.string(), z.string())
  .default({})
  .describe('Headers sent with every request, e.g. Authorization. Use ${VAR} for secrets.');

const targetTimeout = z.number().int().positive().default(10000).describe('Per request. Milliseconds.');

export const targetSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('none').describe('Deliver nowhere: accounts are kept in the bridge only.'),
    }),
    z.strictObject({
      type: z
        .literal(['commerce-import', 'http'])
        .describe(
          "POST each migrated user to the commerce platform's user-import API, in its user-import format (docs/targets.md). `http` is the older name of the same target.",
        ),
      url: url("The platform's user-import endpoint. No default."),
      headers: targetHeaders,
      password_algorithm: z
        .enum(['md5', 'sha1', 'sha256'])
        .default('sha256')
        .describe('The algorithm of the {algorithm}${salt}${hash} password the platform accepts.'),
      timeout_ms: targetTimeout,
      mapping: z
        .record(z.string(), z.string())
        .default({})
        .describe(
          'Target field ← legacy column, over the defaults that fit the be_users table of the import guide (first_name, last_name, email, gender, birthday → date_of_birth, accept_notifications → email_allowed, created_at → date_joined, id → customer_code). Set a field to "" to send its default.',
        ),
      defaults: z
        .record(z.string(), z.unknown())
        .default({})
        .describe('Constant values for target fields no column provides, e.g. { user_type: registered }.'),
      empty_as_missing: z
        .boolean()
        .default(false)
        .describe(
          "An empty or blank string in a mapped column counts as missing, so target.defaults fills the field (Django superusers have first_name = ''). false: an empty string is sent as it is.",
        ),
    }),
    z.strictObject({
      type: z
        .literal('scim')
        .describe(
          'Provision each migrated user with SCIM 2.0 (RFC 7643/7644) at a service provider (docs/targets.md).',
        ),
      url: url('The SCIM base URL, the one /Users and /ServiceProviderConfig hang off. No default.'),
      token: z
        .string()
        .min(1)
        .optional()
        .describe('Bearer token for the service provider. Use ${VAR}. No default: no Authorization header.'),
      headers: targetHeaders,
      send_password: z
        .enum(['auto', 'always', 'never'])
        .default('auto')
        .describe(
          'Send the password the user typed: auto when the ServiceProviderConfig says changePassword is supported. It waits in the outbox sealed, so anything but never needs key_encryption_key.',
        ),
      mapping: z
        .record(z.string(), z.string())
        .default({})
        .describe(
          'SCIM attribute ← legacy column, over the defaults (userName ← username, name.givenName ← first_name, name.familyName ← last_name, email ← email). Enterprise attributes as enterprise.employeeNumber, enterprise.department…; "" sends nothing.',
        ),
      defaults: z
        .record(z.string(), z.unknown())
        .default({})
        .describe('Constant values for SCIM attributes no column provides, e.g. { userType: customer }.'),
      empty_as_missing: z
        .boolean()
        .default(false)
        .describe(
          "An empty or blank string in a mapped column counts as missing, so target.defaults fills the field (Django superusers have first_name = ''). false: an empty string is sent as it is.",
        ),
      timeout_ms: targetTimeout,
    }),
    z.strictObject({
      type: z
        .literal('webhook')
        .describe(
          'POST each migrated user (claims and a password form) as signed JSON to an endpoint of your own (docs/targets.md).',
        ),
      url: url('The endpoint that receives the events. No default.'),
      secret: z
        .string()
        .min(32, 'must be at least 32 characters; generate one with: openssl rand -base64 32')
        .describe(
          'Signs every request (HMAC-SHA256 over the timestamp and the body); the receiver checks it. Use ${VAR}. No default: it is yours to choose.',
        ),
      password_form: z
        .enum(['argon2id', 'bcrypt', 'commerce'])
        .default('argon2id')
        .describe(
          "The password the event carries: an argon2id or bcrypt hash made at login, or the commerce platform's sha256$salt$hash.",
        ),
      headers: targetHeaders,
      timeout_ms: targetTimeout,
    }),
  ])
  .default({ type: 'none' })
  .describe('Where migrated users are delivered.');

export const adminSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Serve the admin listener (operator console and /metrics) beside the login port.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9464)
      .describe('Port of the admin listener. It must differ from `port`.'),
    host: z
      .string()
      .default('127.0.0.1')
      .describe(
        'Address the admin listener binds to. Loopback keeps the console and the metrics off the network; bind wider only behind a firewall, and set metrics_token.',
      ),
    url: url(
      "The public base URL of the admin listener as an operator's browser reaches it (the console's OIDC redirect goes there). Default http://HOST:PORT of the admin listener.",
    ).optional(),
    metrics_token: z
      .string()
      .min(16, 'must be at least 16 characters; generate one with: openssl rand -base64 24')
      .optional()
      .describe(
        'When set, /metrics answers only requests with "Authorization: Bearer TOKEN" (Prometheus: authorization.credentials). No default: open on the admin listener, which is loopback unless host says otherwise.',
      ),
    admins: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Subjects (sub) of the bridge accounts allowed into the operator console. Nobody is an admin until this or admin_groups names someone.',
      ),
    admin_groups: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Groups whose members may use the operator console: values of group_claim in the account's claims.",
      ),
    group_claim: z
      .string()
      .min(1)
      .default('groups')
      .describe(
        'The account claim holding its groups (a string or a list of strings), mapped like any claim in legacy.claims.',
      ),
    session_seconds: duration('How long a console sign-in lasts.', 3600),
  })
  .prefault({})
  .describe(
    'The admin listener: the operator console (signed in through the bridge itself) and the Prometheus metrics, apart from the login port.',
  );

export const tracingSchema = z
  .strictObject({
    otlp_endpoint: url(
      'OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces. No default: tracing is off and costs nothing.',
    ).optional(),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Headers sent with every export, e.g. an API key. Use ${VAR} for secrets.'),
    service_name: z.string().min(1).default('oidc-bridge').describe('The service.name resource attribute.'),
    sample_ratio: z.number().min(0).max(1).default(1).describe('Share of logins traced, from 0 to 1.'),
  })
  .prefault({})
  .describe(
    'OpenTelemetry tracing of logins: one span per login, with the legacy lookup, the hash check and the store transaction as children.',
  );

export const mailSchema = z
  .strictObject({
    host: z.string().min(1).describe('SMTP server host name. No default.'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('SMTP port. Default 465 with security: tls, else 587.'),
    security: z
      .enum(['starttls', 'tls', 'none'])
      .default('starttls')
      .describe(
        'starttls: plain connection upgraded with STARTTLS, which is then required (port 587). tls: TLS from the first byte (port 465). none: no encryption, for a relay on the same host or a test sink only.',
      ),
    tls_reject_unauthorized: z
      .boolean()
      .default(true)
      .describe(
        "Refuse a server certificate that does not verify. false only for a relay's self-signed certificate.",
      ),
    user: z.string().min(1).optional().describe('SMTP AUTH user name. No default: no authentication.'),
    password: z
      .string()
      .min(1)
      .optional()
      .describe('SMTP AUTH password. Use ${VAR}; never logged. No default: needed only with user.'),
    from: z
      .string()
      .min(3)
      .describe('The From header, e.g. "Shop <no-reply@shop.example>". No default: it is yours to choose.'),
    reply_to: z.string().min(3).optional().describe('The Reply-To header. No default: none.'),
    timeout_ms: z
      .number()
      .int()
      .positive()
      .default(10000)
      .describe('Connection and greeting timeout toward the SMTP server. Milliseconds.'),
    max_attempts: z
      .number()
      .int()
      .min(1)
      .default(12)
      .describe('Attempts to send one e-mail before it is given up.'),
    base_delay_ms: z.number().int().min(1).default(2000).describe('First retry delay; doubles with jitter.'),
    max_delay_ms: z
      .number()
      .int()
      .min(1)
      .default(5 * 60 * 1000)
      .describe('Longest retry delay.'),
    poll_interval_ms: z
      .number()
      .int()
      .min(10)
      .default(1000)
      .describe('How often each replica looks for e-mails due.'),
  })
  .describe(
    'Outgoing e-mail (password reset links), through SMTP with nodemailer. Sent from the store with retries, so a mail server that is down delays an e-mail without losing it. No default: without it there is no "Forgot password?" flow.',
  );

export const passwordResetSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Offer "Forgot password?" on the login page. Needs mail; ui.forgot_password_url wins when set.',
      ),
    token_ttl_seconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(1800)
      .describe('How long a reset link is valid. Seconds.'),
    revoke_sessions: z
      .boolean()
      .default(true)
      .describe(
        "After a reset, end the account's other browser sessions and revoke its refresh tokens (relying parties with back-channel logout are told).",
      ),
    per_identifier_per_hour: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('Reset requests one identifier may receive per hour, from all IPs together.'),
    per_ip_per_hour: z.number().int().min(1).default(30).describe('Reset requests one IP may make per hour.'),
    per_email_per_hour: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Reset e-mails one address may be sent per hour; beyond it requests are quietly dropped.'),
  })
  .prefault({})
  .describe(
    'Password reset by e-mail, for migrated and not yet migrated users alike: the reset migrates a legacy user.',
  );

export const passwordPolicySchema = z
  .strictObject({
    min_length: z
      .number()
      .int()
      .min(1)
      .max(128)
      .default(10)
      .describe('Shortest new password, in characters.'),
    min_score: z
      .number()
      .int()
      .min(0)
      .max(4)
      .default(3)
      .describe(
        "Lowest zxcvbn strength score (0 to 4) a new password must reach; 0 turns the estimate off. The estimate knows common passwords, names and the user's own identifiers.",
      ),
    breached_sha1_file: z
      .string()
      .optional()
      .describe(
        'A local file of SHA-1 hashes of breached passwords, one hex digest a line (the "HASH:COUNT" lines of a Pwned Passwords download work as they are). Loaded into memory at start; no network lookup. No default: no list.',
      ),
    prompt_weak_legacy: z
      .enum(['required', 'skippable', 'off'])
      .default('skippable')
      .describe(
        'A legacy password that fails this policy still logs in and migrates; then the user is asked once for a new one. required: they must choose one to continue. skippable: they may skip. off: never asked.',
      ),
  })
  .prefault({})
  .describe(
    'What a new password must be: at a reset, and when a weak legacy password is replaced after login.',
  );

export const configSchema = z.strictObject({
  issuer: url(
    'The issuer identifier, the public base URL of the bridge. Default http://localhost:PORT.',
  ).optional(),
  port: z.number().int().min(0).max(65535).default(3000).describe('HTTP port.'),
  host: z.string().default('0.0.0.0').describe('Address to listen on.'),
  database: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'must be a postgres:// URL' })
    .optional()
    .describe('PostgreSQL URL of the bridge store. Omitted: an embedded PGlite store in data_dir.'),
  data_dir: z.string().default('./data').describe('Where the embedded store lives.'),
  store: z
    .strictObject({
      statement_timeout_ms: millis(
        'A statement on the bridge store that runs longer is cancelled, and the request answers 503.',
        5000,
      ),
      acquire_timeout_ms: millis(
        'How long a request waits for a free store connection (or a new one to connect) before it answers 503.',
        5000,
      ),
      prepared_statements: z
        .boolean()
        .default(true)
        .describe(
          "Send the login and token path's statements to the store as named prepared statements, parsed and planned once per connection. Set false behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode, or without max_prepared_statements).",
        ),
      redis_url: z
        .string()
        .refine((v) => /^rediss?:\/\//.test(v), {
          message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0',
        })
        .optional()
        .describe(
          'Redis for the short-lived, high-churn models (sessions, interactions, authorization codes, access tokens): the token path then reads Redis, not PostgreSQL. Accounts, clients, keys, grants, refresh tokens, the outbox and the audit stay in the bridge store. Omitted: every model in the bridge store.',
        ),
      redis_prefix: z
        .string()
        .min(1)
        .max(100)
        .default('oidc-bridge:')
        .describe('Prefix of every key the bridge writes to Redis, so several bridges may share one Redis.'),
    })
    .prefault({})
    .describe(
      'Limits on the bridge store, so that a stalled PostgreSQL turns into 503 answers, not hung logins; and Redis, optionally, for the short-lived models.',
    ),
  http: z
    .strictObject({
      headers_timeout_ms: millis('A client that has not sent its request headers by then is cut off.', 15000),
      request_timeout_ms: millis('A client that has not sent its whole request by then is cut off.', 30000),
      keep_alive_timeout_ms: millis(
        "An idle keep-alive connection is closed after this long. Behind a load balancer, set it above the balancer's idle timeout.",
        5000,
      ),
    })
    .prefault({})
    .describe("Timeouts of the login port's HTTP server against slow or idle clients."),
  key_encryption_key: z
    .string()
    .min(32, 'must be at least 32 characters; generate one with: openssl rand -base64 32')
    .optional()
    .describe(
      'Encrypts private signing keys, cookie keys, client secrets and the target password forms waiting in the outbox at rest (AES-256-GCM). Also read from OIDC_BRIDGE_KEY. No default: the bridge warns at start when it is missing.',
    ),
  legacy: legacySchema.optional(),
  target: targetSchema,
  password_changes: z
    .enum(['deliver', 'record'])
    .default('deliver')
    .describe(
      "A password changed after migration (in the legacy application, noticed at login as password_resynced): deliver sends the new password form to the target when its format takes an update (SCIM PATCH, the webhook's password event); otherwise, and always with record, the change is only recorded, and `migration status` counts the accounts whose target copy keeps an older password.",
    ),
  oidc: z
    .strictObject({
      ttl: z
        .strictObject({
          access_token: duration('Access token lifetime.', 3600),
          id_token: duration('ID token lifetime.', 3600),
          refresh_token: duration('Refresh token lifetime.', 14 * 24 * 3600),
          authorization_code: duration('Authorization code lifetime.', 60),
          interaction: duration('How long a login page stays valid.', 600),
          session: duration('Browser session lifetime.', 14 * 24 * 3600),
          grant: duration('Grant lifetime.', 14 * 24 * 3600),
        })
        .prefault({}),
      claims: z
        .record(z.string(), z.array(z.string()))
        .default({
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['given_name', 'family_name', 'name', 'preferred_username'],
        })
        .describe('Scope → claims it releases.'),
      rotate_refresh_tokens: z
        .boolean()
        .default(true)
        .describe(
          'Every refresh issues a new refresh token, and a used one presented again revokes the grant with all its tokens (replay detection), for every client. false keeps one refresh token for its whole lifetime, for relying parties that cannot store a new one at each refresh: a stolen refresh token then works until it expires or the grant is revoked.',
        ),
      read_cache_seconds: z
        .number()
        .int()
        .min(0)
        .max(300)
        .default(5)
        .describe(
          'How long a replica may reuse client metadata and account claims it read from the store (token, userinfo and introspection paths). A removed client or changed claims take effect within this time. 0 turns the cache off. Seconds.',
        ),
      key_refresh_seconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(30)
        .describe(
          'How often a replica re-reads signing and cookie keys from the store, so that `keys rotate` run anywhere reaches every replica. Seconds.',
        ),
    })
    .prefault({})
    .describe('Token lifetimes and claims.'),
  security: z
    .strictObject({
      max_password_bytes: z
        .number()
        .int()
        .min(72)
        .max(65536)
        .default(1024)
        .describe('Passwords longer than this (UTF-8 bytes) are refused before hashing.'),
      lockout: z
        .strictObject({
          free_attempts: z
            .number()
            .int()
            .min(1)
            .default(10)
            .describe('Consecutive failures per identifier and IP before a lockout.'),
          base_seconds: z.number().int().min(1).default(60).describe('First lockout. Doubles each time.'),
          max_seconds: z.number().int().min(1).default(3600).describe('Longest lockout.'),
          reset_seconds: z
            .number()
            .int()
            .min(60)
            .default(86400)
            .describe(
              'Failures and lockouts of one identifier and IP are forgotten this long after the first of them, or at the next successful login. Until then each lockout doubles the last. Seconds.',
            ),
        })
        .prefault({})
        .describe(
          'Lockout of one identifier from one IP after consecutive failures, for base_seconds, doubling at each further lockout up to max_seconds.',
        ),
      ip_failures_per_hour: z
        .number()
        .int()
        .min(1)
        .default(100)
        .describe('Failed logins one IP may make per hour.'),
      identifier_failures_per_hour: z
        .number()
        .int()
        .min(1)
        .default(100)
        .describe(
          'Failed logins one identifier may receive per hour from all IPs together, against guessing spread over many addresses. Reaching it refuses that identifier everywhere until the hour is over, so keep it well above lockout.free_attempts.',
        ),
      legacy_concurrency: z
        .number()
        .int()
        .min(1)
        .default(8)
        .describe('Legacy lookups in flight at once, per process.'),
      legacy_queue: z
        .number()
        .int()
        .min(0)
        .default(100)
        .describe(
          'Logins that may wait for a legacy lookup slot, per process; beyond it a login is refused with 429 and a short Retry-After rather than piling onto the legacy database.',
        ),
      trust_proxy: z
        .boolean()
        .default(false)
        .describe('Trust X-Forwarded-* headers (behind a load balancer).'),
    })
    .prefault({})
    .describe('Login-path protection.'),
  worker: z
    .strictObject({
      max_attempts: z.number().int().min(1).default(10).describe('Attempts before a delivery is dead.'),
      base_delay_ms: z
        .number()
        .int()
        .min(1)
        .default(1000)
        .describe('First retry delay; doubles with jitter.'),
      max_delay_ms: z
        .number()
        .int()
        .min(1)
        .default(15 * 60 * 1000)
        .describe('Longest retry delay.'),
      poll_interval_ms: z.number().int().min(10).default(1000).describe('Idle polling interval.'),
      batch: z.number().int().min(1).max(1000).default(10).describe('Jobs claimed at once.'),
    })
    .prefault({})
    .describe('The delivery worker.'),
  ui: z
    .strictObject({
      product_name: z.string().default('Sign in').describe('Shown in page titles and headings.'),
      logo_url: z.string().optional().describe('Logo image URL. No default: no logo.'),
      primary_color: z
        .string()
        .regex(/^#[0-9a-fA-F]{6}$/, 'must be a #rrggbb colour')
        .default('#1f5fbf')
        .describe('Buttons and links.'),
      forgot_password_url: z
        .string()
        .optional()
        .describe(
          '"Forgot password?" link to a page of your own (the legacy application\'s reset, say). No default: with `mail` configured the link leads to the bridge\'s own reset, which migrates the user; without it there is no link.',
        ),
      identifier_label: z
        .union([
          z.string().min(1),
          z.strictObject({ en: z.string().min(1).optional(), tr: z.string().min(1).optional() }),
        ])
        .optional()
        .describe(
          'The label of the login name field, as one text or one per language ({ en: Email, tr: E-posta }), e.g. for a table that logs in by e-mail only. No default: "Username or email" in the page\'s language.',
        ),
      default_locale: z
        .enum(['en', 'tr'])
        .default('en')
        .describe('Language of the pages when the browser asks for none the bridge speaks.'),
    })
    .prefault({})
    .describe('Branding of the login pages.'),
  mfa: z
    .strictObject({
      required: z
        .boolean()
        .default(false)
        .describe(
          'Every sign-in needs a second factor; a user without one sets up an authenticator app at their next sign-in. Off: a second factor is asked of users who have one, and of everyone when a client asks for it (acr_values aal2 or the PAPE multi-factor policy, or the client registered with --require-mfa).',
        ),
      totp_enrolment: z
        .boolean()
        .default(true)
        .describe(
          'A user without a second factor may set up an authenticator app when one is required. false: only secrets carried over from the legacy table are used, and a sign-in that needs a second factor from a user without one ends with unmet_authentication_requirements.',
        ),
      window: z
        .number()
        .int()
        .min(0)
        .max(5)
        .default(1)
        .describe('Codes accepted either side of the current one, for clock drift between phone and server.'),
      code_failures: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(5)
        .describe(
          'Wrong codes (authenticator or recovery) one account may enter before code checks pause for code_lockout_seconds.',
        ),
      code_lockout_seconds: z
        .number()
        .int()
        .min(1)
        .default(900)
        .describe('How long code checks pause after code_failures wrong codes. Seconds.'),
      recovery_codes: z
        .number()
        .int()
        .min(4)
        .max(20)
        .default(10)
        .describe('Recovery codes made at enrolment, each usable once.'),
      passkeys: z
        .strictObject({
          enabled: z
            .boolean()
            .default(true)
            .describe('Passkeys (WebAuthn) may be created and used to sign in instead of the password.'),
          offer: z
            .boolean()
            .default(true)
            .describe(
              'After a password sign-in on a device that can hold a passkey, offer to create one ("sign in faster next time"). Declining is remembered for 30 days.',
            ),
          rp_id: z
            .string()
            .optional()
            .describe(
              "The WebAuthn relying party id: the issuer's host name or a parent domain of it. No default: the issuer's host name.",
            ),
        })
        .prefault({})
        .describe('Passkeys.'),
    })
    .prefault({})
    .describe(
      'Second factors: TOTP (carried over from the legacy table or set up at sign-in), recovery codes and passkeys.',
    ),
  backchannel_logout: z
    .strictObject({
      timeout_ms: z
        .number()
        .int()
        .positive()
        .default(5000)
        .describe('Per logout token delivery. Milliseconds.'),
      max_attempts: z
        .number()
        .int()
        .min(1)
        .default(12)
        .describe('Attempts to deliver one logout token before it is given up.'),
      base_delay_ms: z
        .number()
        .int()
        .min(1)
        .default(2000)
        .describe('First retry delay; doubles with jitter.'),
      max_delay_ms: z
        .number()
        .int()
        .min(1)
        .default(10 * 60 * 1000)
        .describe('Longest retry delay.'),
      poll_interval_ms: z
        .number()
        .int()
        .min(10)
        .default(1000)
        .describe('How often each replica looks for logout tokens due.'),
    })
    .prefault({})
    .describe(
      'Delivery of back-channel logout tokens to relying parties registered with --backchannel-logout-uri, through the store with retries.',
    ),
  mail: mailSchema.optional(),
  password_reset: passwordResetSchema,
  password_policy: passwordPolicySchema,
  admin: adminSchema,
  tracing: tracingSchema,
  log_level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('How much the bridge logs (JSON lines; pretty on a terminal).'),
  shutdown_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(10000)
    .describe('On SIGTERM, how long requests in flight may take to finish.'),
});

export type Config = z.infer<typeof configSchema> & { issuer: string };
export type LegacyConfig = z.infer<typeof legacySchema>;
export type MailConfig = z.infer<typeof mailSchema>;
export type PasswordPolicyConfig = z.infer<typeof passwordPolicySchema>;
export type FieldTransform = z.infer<typeof fieldTransformSchema>;
export type LegacyHttpConfig = z.infer<typeof legacyHttpSchema>;
export type LegacyLdapConfig = z.infer<typeof legacyLdapSchema>;
export type LegacyTotpConfig = z.infer<typeof legacyTotpSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type CommerceImportConfig = Extract<TargetConfig, { type: 'commerce-import' | 'http' }>;
/** @deprecated The older name of CommerceImportConfig. */
export type HttpTargetConfig = CommerceImportConfig;
