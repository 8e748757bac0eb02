// Delivery of one user to the commerce platform's import API: the user is built from the
// job's copy of the legacy row with the CURRENT target.mapping and defaults (so fixing the
// mapping and running `migration retry` delivers a job that failed validation), validated,
// POSTed, and the platform's answer read: 201 created, 409 already_exists (delivered),
// 409 email_conflict (conflict), 429 and 5xx retried, any other answer refused.
import type { CommerceImportConfig } from '../../config/schema.ts';
import { BridgeError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { commonOutcome, describeAnswer, exchange, headerSecrets, isExchange, scrubber } from '../http.ts';
import { describeProblems } from '../problems.ts';
import type { DeliveryJob, DeliveryResult } from '../types.ts';
import { buildUser, type PasswordSource } from './mapping.ts';
import { parsePassword } from './password.ts';
import { type CommerceUser, validateUser } from './schema.ts';

/**
 * A job whose password form is gone (it was erased when the job ended, and an operator
 * re-queued it with `migration retry --dead`) is not sent without a password behind the
 * operator's back: it fails with this reason, and stays visible in `migration list`.
 * Jobs meant to go without one carry `payload.without_password` (the bulk import).
 */
export const NO_PASSWORD_FORM = 'password form no longer available; the user must log in again';

export function createCommerceSink(target: CommerceImportConfig, logger?: Logger) {
  const secrets = headerSecrets(target.headers);

  function build(job: DeliveryJob, legacyId: string): CommerceUser | DeliveryResult {
    let source: PasswordSource;
    if (job.payload.without_password) {
      source = { kind: 'unusable', algorithm: target.password_algorithm };
    } else if (job.secret !== null && parsePassword(job.secret)) {
      source = { kind: 'form', form: job.secret };
    } else {
      return { outcome: 'failed', reason: 'no_password_form', detail: NO_PASSWORD_FORM };
    }
    try {
      return buildUser(
        job.row,
        {
          mapping: target.mapping,
          defaults: target.defaults,
          emptyAsMissing: target.empty_as_missing,
          legacyId,
        },
        source,
      );
    } catch (err) {
      // A mapping naming a missing column, or an invalid mapping: fixable in config.
      if (err instanceof BridgeError) {
        return { outcome: 'invalid', reason: 'invalid', detail: `legacy row ${legacyId}: ${err.message}` };
      }
      throw err;
    }
  }

  return async function deliver(job: DeliveryJob, signal: AbortSignal): Promise<DeliveryResult> {
    // The platform's import API creates users; it has nothing to change a password with.
    if (job.kind !== 'deliver') return { outcome: 'skipped', reason: 'not_supported' };
    const legacyId = job.payload.legacy_id ?? job.sub;
    const built = build(job, legacyId);
    if ('outcome' in built) return built;
    const checked = validateUser(built);
    if (!checked.ok) {
      return { outcome: 'invalid', reason: 'invalid', detail: describeProblems(checked.problems, legacyId) };
    }
    const user = checked.user;
    const scrub = scrubber([user.password, parsePassword(user.password)?.hash, ...secrets]);
    const answer = await exchange(
      {
        method: 'POST',
        url: target.url,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...target.headers },
        body: JSON.stringify(user),
        timeoutMs: target.timeout_ms,
        signal,
        idempotencyKey: job.idempotencyKey,
      },
      scrub,
    );
    if (!isExchange(answer)) return answer;
    const error = typeof answer.body?.error === 'string' ? answer.body.error : undefined;
    logger?.debug({ job: job.id, status: answer.status, error }, 'target answered');
    if (answer.status >= 200 && answer.status < 300) return { outcome: 'delivered', reason: 'delivered' };
    if (answer.status === 409 && error === 'already_exists') {
      // The platform already holds this customer_code: an earlier attempt got through
      // (its answer was lost, or a worker died before recording it).
      return { outcome: 'delivered', reason: 'already_exists' };
    }
    const detail = scrub(describeAnswer(answer));
    if (answer.status === 409 && error === 'email_conflict') {
      return { outcome: 'conflict', reason: 'email_conflict', detail };
    }
    return commonOutcome(answer, detail) ?? { outcome: 'failed', reason: 'rejected', detail };
  };
}
