// The configuration schema. It is the documentation: every key carries a description and
// a default, or a reason why it has none. `npm run docs:config` renders the README's
// configuration reference from it, and `loadConfig` validates a file against it.
import { z } from 'zod';

const url = (what: string) =>
  z
    .string()
    .refine((v) => URL.canParse(v), { message: `must be an absolute URL (${what})` })
    .describe(what);

const duration = (description: string, def: number) =>
  z.number().int().positive().default(def).describe(`${description} Seconds. Default ${def}.`);

const identifierName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain column name (letters, digits, underscore)');

export const legacySchema = z
  .object({
    connection: z
      .string()
      .refine((v) => /^(mysql|mariadb|postgres|postgresql|pglite):/.test(v), {
        message:
          'must start with mysql:, mariadb:, postgres: or pglite: (e.g. mysql://user:pass@127.0.0.1:3306/shop)',
      })
      .describe(
        'Connection URL of the legacy user database, read-only. mysql:, mariadb:, postgres: or pglite: (an embedded PGlite directory, or pglite:memory). No default: without it the bridge serves only accounts it already holds.',
      ),
    table: identifierName.describe('The legacy user table, e.g. be_users. No default.'),
    identifiers: z
      .array(identifierName)
      .min(1)
      .default(['username', 'email'])
      .describe(
        'Columns a login name is matched on, in order. A column named email (or listed in case_insensitive) is matched case-insensitively. Default [username, email].',
      ),
    case_insensitive: z
      .array(identifierName)
      .default(['email'])
      .describe('Identifier columns matched without regard to case. Default [email].'),
    columns: z
      .object({
        id: identifierName.default('id').describe('Primary key column. Default id.'),
        password: identifierName.default('password').describe('Password hash column. Default password.'),
        salt: identifierName.optional().describe('Salt column, when the salt is stored apart. No default.'),
        last_login: identifierName
          .optional()
          .describe('Last-login column, for the cut-over readiness figure. No default.'),
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
      .object({
        scheme: z
          .string()
          .default('auto')
          .describe(
            'auto detects the scheme from the stored hash; or a scheme expression such as sha1(salt + password). Default auto.',
          ),
      })
      .prefault({})
      .describe('How the legacy password column is verified.'),
    claims: z
      .record(z.string(), identifierName)
      .default({
        email: 'email',
        given_name: 'first_name',
        family_name: 'last_name',
        preferred_username: 'username',
      })
      .describe(
        'OIDC claim ← legacy column. Default maps email, given_name, family_name, preferred_username.',
      ),
    sub: z
      .enum(['legacy_id', 'uuid'])
      .default('legacy_id')
      .describe(
        'The subject of a migrated user: the legacy id, or a random UUID kept stable. Default legacy_id.',
      ),
    pool: z
      .object({
        min: z.number().int().min(0).default(0).describe('Default 0.'),
        max: z.number().int().min(1).max(100).default(5).describe('Default 5.'),
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
      .describe('A legacy query that runs longer fails; login then answers 503. Milliseconds. Default 3000.'),
  })
  .describe('The legacy user database. Omit it to serve only the accounts in the bridge store.');

export const targetSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none').describe('Deliver nowhere: accounts are kept in the bridge only.') }),
    z.object({
      type: z.literal('http').describe("POST each migrated user to the target's import API."),
      url: url("The target platform's user import endpoint. No default."),
      headers: z
        .record(z.string(), z.string())
        .default({})
        .describe('Headers sent with every request, e.g. Authorization. Use ${VAR} for secrets. Default {}.'),
      password_algorithm: z
        .enum(['md5', 'sha1', 'sha256'])
        .default('sha256')
        .describe(
          'The algorithm of the {algorithm}${salt}${hash} password the target accepts. Default sha256.',
        ),
      timeout_ms: z
        .number()
        .int()
        .positive()
        .default(10000)
        .describe('Per request. Milliseconds. Default 10000.'),
      mapping: z
        .record(z.string(), z.string())
        .default({})
        .describe(
          'Target field ← legacy column, over the defaults that fit the seed be_users table (first_name, last_name, email, gender, birthday → date_of_birth, accept_notifications → email_allowed, created_at → date_joined, id → customer_code). Set a field to "" to send its default.',
        ),
      defaults: z
        .record(z.string(), z.unknown())
        .default({})
        .describe('Constant values for target fields no column provides, e.g. { user_type: registered }.'),
    }),
  ])
  .default({ type: 'none' })
  .describe('Where migrated users are delivered. Default { type: none }.');

export const configSchema = z
  .object({
    issuer: url(
      'The issuer identifier, the public base URL of the bridge. Default http://localhost:PORT.',
    ).optional(),
    port: z.number().int().min(0).max(65535).default(3000).describe('HTTP port. Default 3000.'),
    host: z.string().default('0.0.0.0').describe('Address to listen on. Default 0.0.0.0.'),
    database: z
      .string()
      .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'must be a postgres:// URL' })
      .optional()
      .describe('PostgreSQL URL of the bridge store. Omitted: an embedded PGlite store in data_dir.'),
    data_dir: z.string().default('./data').describe('Where the embedded store lives. Default ./data.'),
    key_encryption_key: z
      .string()
      .min(32, 'must be at least 32 characters; generate one with: openssl rand -base64 32')
      .optional()
      .describe(
        'Encrypts private signing keys, cookie keys, client secrets and the target password forms waiting in the outbox at rest (AES-256-GCM). Also read from OIDC_BRIDGE_KEY. No default: the bridge warns at start when it is missing.',
      ),
    legacy: legacySchema.optional(),
    target: targetSchema,
    oidc: z
      .object({
        ttl: z
          .object({
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
          .describe('Scope → claims it releases. Default openid, email and profile.'),
        read_cache_seconds: z
          .number()
          .int()
          .min(0)
          .max(300)
          .default(5)
          .describe(
            'How long a replica may reuse client metadata and account claims it read from the store (token, userinfo and introspection paths). A removed client or changed claims take effect within this time. 0 turns the cache off. Seconds. Default 5.',
          ),
        key_refresh_seconds: z
          .number()
          .int()
          .min(1)
          .max(3600)
          .default(30)
          .describe(
            'How often a replica re-reads signing and cookie keys from the store, so that `keys rotate` run anywhere reaches every replica. Seconds. Default 30.',
          ),
      })
      .prefault({})
      .describe('Token lifetimes and claims.'),
    security: z
      .object({
        max_password_bytes: z
          .number()
          .int()
          .min(72)
          .max(65536)
          .default(1024)
          .describe('Passwords longer than this (UTF-8 bytes) are refused before hashing. Default 1024.'),
        lockout: z
          .object({
            free_attempts: z
              .number()
              .int()
              .min(1)
              .default(10)
              .describe('Consecutive failures per identifier and IP before a lockout. Default 10.'),
            base_seconds: z
              .number()
              .int()
              .min(1)
              .default(60)
              .describe('First lockout. Doubles each time. Default 60.'),
            max_seconds: z.number().int().min(1).default(3600).describe('Longest lockout. Default 3600.'),
            reset_seconds: z
              .number()
              .int()
              .min(60)
              .default(86400)
              .describe(
                'Failures and lockouts of one identifier and IP are forgotten this long after the first of them, or at the next successful login. Until then each lockout doubles the last. Seconds. Default 86400.',
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
          .describe('Failed logins one IP may make per hour. Default 100.'),
        identifier_failures_per_hour: z
          .number()
          .int()
          .min(1)
          .default(100)
          .describe(
            'Failed logins one identifier may receive per hour from all IPs together, against guessing spread over many addresses. Reaching it refuses that identifier everywhere until the hour is over, so keep it well above lockout.free_attempts. Default 100.',
          ),
        legacy_concurrency: z
          .number()
          .int()
          .min(1)
          .default(8)
          .describe('Legacy lookups in flight at once, per process. Default 8.'),
        legacy_queue: z
          .number()
          .int()
          .min(0)
          .default(100)
          .describe(
            'Logins that may wait for a legacy lookup slot, per process; beyond it a login is refused with 429 and a short Retry-After rather than piling onto the legacy database. Default 100.',
          ),
        trust_proxy: z
          .boolean()
          .default(false)
          .describe('Trust X-Forwarded-* headers (behind a load balancer). Default false.'),
      })
      .prefault({})
      .describe('Login-path protection.'),
    worker: z
      .object({
        max_attempts: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe('Attempts before a delivery is dead. Default 10.'),
        base_delay_ms: z
          .number()
          .int()
          .min(1)
          .default(1000)
          .describe('First retry delay; doubles with jitter. Default 1000.'),
        max_delay_ms: z
          .number()
          .int()
          .min(1)
          .default(15 * 60 * 1000)
          .describe('Longest retry delay. Default 900000.'),
        poll_interval_ms: z
          .number()
          .int()
          .min(10)
          .default(1000)
          .describe('Idle polling interval. Default 1000.'),
        batch: z.number().int().min(1).max(1000).default(10).describe('Jobs claimed at once. Default 10.'),
      })
      .prefault({})
      .describe('The delivery worker.'),
    ui: z
      .object({
        product_name: z
          .string()
          .default('Sign in')
          .describe('Shown in page titles and headings. Default "Sign in".'),
        logo_url: z.string().optional().describe('Logo image URL. No default: no logo.'),
        primary_color: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/, 'must be a #rrggbb colour')
          .default('#1f5fbf')
          .describe('Buttons and links. Default #1f5fbf.'),
        forgot_password_url: z.string().optional().describe('"Forgot password?" link. No default: no link.'),
        default_locale: z.enum(['en', 'tr']).default('en').describe('Default en.'),
      })
      .prefault({})
      .describe('Branding of the login pages.'),
    log_level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Default info.'),
    shutdown_timeout_ms: z
      .number()
      .int()
      .min(0)
      .default(10000)
      .describe('On SIGTERM, how long requests in flight may take to finish. Default 10000.'),
  })
  .strict();

export type Config = z.infer<typeof configSchema> & { issuer: string };
export type LegacyConfig = z.infer<typeof legacySchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type HttpTargetConfig = Extract<TargetConfig, { type: 'http' }>;
