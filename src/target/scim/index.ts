// SCIM 2.0 as a TargetFormat (RFC 7644): the ServiceProviderConfig is read before the first
// delivery; a migrated user is a POST /Users of the core and enterprise schemas, with the
// password when the service provider takes one; a password changed after migration is a
// PATCH replace of it. 409 uniqueness is a user it already holds when its externalId is the
// legacy id (delivered), and another user's name otherwise (conflict).
import type { TargetConfig } from '../../config/schema.ts';
import { BridgeError, ConfigError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { SecretBox } from '../../security/secret-box.ts';
import {
  commonOutcome,
  describeAnswer,
  type Exchange,
  exchange,
  headerSecrets,
  isExchange,
  scrubber,
} from '../http.ts';
import { describeProblems } from '../problems.ts';
import type { DeliveryJob, DeliveryResult, TargetFormat } from '../types.ts';
import { buildScimUser, checkScimMapping, scimColumns } from './mapping.ts';

export type ScimConfig = Extract<TargetConfig, { type: 'scim' }>;

const SCIM_JSON = 'application/scim+json';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** What the service provider says it supports (RFC 7643 §5). */
export interface ServiceProviderFeatures {
  patch: boolean;
  changePassword: boolean;
  filter: boolean;
}

function supported(config: Record<string, unknown> | undefined, key: string): boolean {
  const entry = config?.[key] as { supported?: unknown } | undefined;
  return entry?.supported === true;
}

export function createScimFormat(
  target: ScimConfig,
  deps: { logger?: Logger | undefined; box?: SecretBox | undefined } = {},
): TargetFormat {
  const issues = checkScimMapping(target);
  if (target.send_password !== 'never' && deps.box && !deps.box.enabled) {
    issues.push(
      'target.send_password: the SCIM target is sent the password itself, which waits in the outbox until delivery; set key_encryption_key (OIDC_BRIDGE_KEY) so it waits sealed, or set target.send_password: never',
    );
  }
  if (issues.length) throw new ConfigError(issues);
  const base = target.url.replace(/\/+$/, '');
  const headers = {
    'content-type': SCIM_JSON,
    accept: `${SCIM_JSON}, application/json`,
    ...target.headers,
    ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
  };
  const secrets = headerSecrets(headers);
  let features: ServiceProviderFeatures | undefined;

  const sendsPassword = () =>
    target.send_password === 'always' ||
    (target.send_password === 'auto' && features?.changePassword === true);

  function request(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body: unknown,
    signal?: AbortSignal,
    scrub = scrubber(secrets),
    idempotencyKey?: string,
  ) {
    return exchange(
      {
        method,
        url: `${base}${path}`,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: target.timeout_ms,
        signal,
        idempotencyKey,
      },
      scrub,
    );
  }

  /** The id of the user whose externalId is this legacy id; undefined when none, null when it cannot be asked. */
  async function findId(legacyId: string, signal: AbortSignal): Promise<string | undefined | null> {
    if (!features?.filter) return null;
    const filter = encodeURIComponent(`externalId eq "${legacyId.replaceAll('"', '\\"')}"`);
    const answer = await request('GET', `/Users?filter=${filter}`, undefined, signal);
    if (!isExchange(answer) || answer.status !== 200) return null;
    const found = (answer.body?.Resources as Array<{ id?: unknown; externalId?: unknown }> | undefined)?.find(
      (r) => r.externalId === legacyId,
    );
    return typeof found?.id === 'string' ? found.id : undefined;
  }

  async function create(job: DeliveryJob, legacyId: string, signal: AbortSignal): Promise<DeliveryResult> {
    if (sendsPassword() && job.secret === null) {
      return {
        outcome: 'failed',
        reason: 'no_password_form',
        detail: 'password no longer available; the user must log in again',
      };
    }
    let built: ReturnType<typeof buildScimUser>;
    try {
      built = buildScimUser(
        job.row,
        {
          mapping: target.mapping,
          defaults: target.defaults,
          emptyAsMissing: target.empty_as_missing,
          legacyId,
        },
        sendsPassword() ? job.secret : null,
      );
    } catch (err) {
      if (err instanceof BridgeError)
        return { outcome: 'invalid', reason: 'invalid', detail: `legacy row ${legacyId}: ${err.message}` };
      throw err;
    }
    if (!built.ok)
      return { outcome: 'invalid', reason: 'invalid', detail: describeProblems(built.problems, legacyId) };
    const scrub = scrubber([job.secret, ...secrets]);
    const answer = await request('POST', '/Users', built.user, signal, scrub, job.idempotencyKey);
    if (!isExchange(answer)) return answer;
    if (answer.status === 201 || answer.status === 200) {
      const id = answer.body?.id;
      return {
        outcome: 'delivered',
        reason: 'delivered',
        ...(typeof id === 'string' ? { targetRef: id } : {}),
      };
    }
    if (answer.status === 409) {
      // uniqueness: this user from an earlier attempt, or another user with the same userName.
      const id = await findId(legacyId, signal);
      if (id === undefined)
        return { outcome: 'conflict', reason: 'uniqueness', detail: scrub(describeAnswer(answer)) };
      return { outcome: 'delivered', reason: 'already_exists', ...(id ? { targetRef: id } : {}) };
    }
    return rest(answer, scrub);
  }

  async function changePassword(
    job: DeliveryJob,
    legacyId: string,
    signal: AbortSignal,
  ): Promise<DeliveryResult> {
    if (!sendsPassword() || !features?.patch) return { outcome: 'skipped', reason: 'not_supported' };
    if (job.secret === null) {
      return {
        outcome: 'failed',
        reason: 'no_password_form',
        detail: 'password no longer available; the user must log in again',
      };
    }
    const id = job.targetRef ?? (await findId(legacyId, signal));
    if (!id)
      return {
        outcome: 'failed',
        reason: 'rejected',
        detail: `no user with externalId ${legacyId} at the service provider`,
      };
    const scrub = scrubber([job.secret, ...secrets]);
    const answer = await request(
      'PATCH',
      `/Users/${encodeURIComponent(id)}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'password', value: job.secret }] },
      signal,
      scrub,
      job.idempotencyKey,
    );
    if (!isExchange(answer)) return answer;
    if (answer.status === 200 || answer.status === 204)
      return { outcome: 'delivered', reason: 'delivered', targetRef: id };
    return rest(answer, scrub);
  }

  function rest(answer: Exchange, scrub: (t: string) => string): DeliveryResult {
    const detail = scrub(describeAnswer(answer));
    return commonOutcome(answer, detail) ?? { outcome: 'failed', reason: 'rejected', detail };
  }

  return {
    type: 'scim',
    delivers: true,
    updates: true,
    columns: scimColumns(target),
    timeoutMs: target.timeout_ms,
    cheapPasswordForm: true,
    async start(signal) {
      const answer = await request('GET', '/ServiceProviderConfig', undefined, signal);
      if (!isExchange(answer))
        throw new BridgeError('scim_unreachable', `SCIM service provider: ${answer.detail}`, 503);
      if (answer.status !== 200 || !answer.body) {
        throw new BridgeError(
          'scim_config_unreadable',
          `SCIM service provider: GET /ServiceProviderConfig: ${describeAnswer(answer)}`,
          503,
        );
      }
      features = {
        patch: supported(answer.body, 'patch'),
        changePassword: supported(answer.body, 'changePassword'),
        filter: supported(answer.body, 'filter'),
      };
      deps.logger?.info({ features }, 'SCIM service provider configuration read');
    },
    // The service provider takes the password itself; the outbox keeps it sealed.
    async passwordForm(password) {
      return target.send_password === 'never' ? null : password;
    },
    preview({ row, legacyId }) {
      const built = buildScimUser(
        row,
        {
          mapping: target.mapping,
          defaults: target.defaults,
          emptyAsMissing: target.empty_as_missing,
          legacyId,
        },
        null,
      );
      const password =
        target.send_password === 'never'
          ? {}
          : { password: '<the password typed at login, when the service provider takes one>' };
      return built.ok
        ? { payload: { ...built.user, ...password }, problems: [] }
        : { payload: {}, problems: built.problems };
    },
    async deliver(job, signal) {
      const legacyId = job.payload.legacy_id ?? job.sub;
      return job.kind === 'update' ? changePassword(job, legacyId, signal) : create(job, legacyId, signal);
    },
  };
}
