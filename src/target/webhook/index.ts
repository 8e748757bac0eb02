// The plain webhook as a TargetFormat, for customers who provision with their own code: a
// JSON POST of the account's claims and the password form chosen in config, signed with a
// timestamped HMAC. A first delivery is `user.migrated`; a password changed at the legacy
// application after migration is `user.password_changed`. Any 2xx is delivered, 409 is a
// user the receiver already holds, 429 and 5xx are retried, any other answer refused.
import { createHash } from 'node:crypto';
import type { TargetConfig } from '../../config/schema.ts';
import type { Logger } from '../../logger.ts';
import { commonOutcome, describeAnswer, exchange, headerSecrets, isExchange, scrubber } from '../http.ts';
import type { DeliveryJob, DeliveryResult, TargetFormat } from '../types.ts';
import { makeForm } from './password.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.ts';

export type WebhookConfig = Extract<TargetConfig, { type: 'webhook' }>;

const NO_PASSWORD_FORM = 'password form no longer available; the user must log in again';

/** The event a receiver gets, before signing. */
export interface WebhookEvent {
  /** Stable across retries of one job: a receiver dedupes on it. */
  id: string;
  type: 'user.migrated' | 'user.password_changed';
  created_at: string;
  user: { sub: string; legacy_id: string | null; claims: Record<string, unknown> };
  password: { form: string; value: string } | null;
}

function eventOf(job: DeliveryJob, target: WebhookConfig): WebhookEvent {
  const changed = job.kind === 'update';
  // An update is a new event for each new password, and the same one for its retries.
  const suffix =
    changed && job.secret ? `.${createHash('sha256').update(job.secret).digest('hex').slice(0, 16)}` : '';
  return {
    id: `${job.kind}.${job.sub}${suffix}`,
    type: changed ? 'user.password_changed' : 'user.migrated',
    created_at: new Date().toISOString(),
    user: { sub: job.sub, legacy_id: job.payload.legacy_id, claims: job.claims },
    password: job.secret === null ? null : { form: target.password_form, value: job.secret },
  };
}

export function createWebhookFormat(
  target: WebhookConfig,
  deps: { logger?: Logger | undefined } = {},
): TargetFormat {
  const secrets = [target.secret, ...headerSecrets(target.headers)];
  return {
    type: 'webhook',
    delivers: true,
    updates: true,
    columns: [],
    timeoutMs: target.timeout_ms,
    // argon2id and bcrypt cost what a login costs: made only when a delivery needs one.
    cheapPasswordForm: target.password_form === 'commerce',
    passwordForm: (password) => makeForm(target.password_form, password),
    preview({ legacyId, claims }) {
      return {
        payload: {
          id: `deliver.${legacyId}`,
          type: 'user.migrated',
          user: { sub: legacyId, legacy_id: legacyId, claims },
          password: {
            form: target.password_form,
            value: `<${target.password_form} of the password, made at login>`,
          },
        },
        problems: [],
      };
    },
    async deliver(job, signal): Promise<DeliveryResult> {
      if (job.secret === null && !job.payload.without_password) {
        return { outcome: 'failed', reason: 'no_password_form', detail: NO_PASSWORD_FORM };
      }
      const event = eventOf(job, target);
      const body = JSON.stringify(event);
      const scrub = scrubber([job.secret, ...secrets]);
      const answer = await exchange(
        {
          method: 'POST',
          url: target.url,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...target.headers,
            [SIGNATURE_HEADER]: signatureHeader(target.secret, body),
            [EVENT_ID_HEADER]: event.id,
          },
          body,
          timeoutMs: target.timeout_ms,
          signal,
          idempotencyKey: job.idempotencyKey,
        },
        scrub,
      );
      if (!isExchange(answer)) return answer;
      deps.logger?.debug({ job: job.id, status: answer.status }, 'webhook answered');
      if (answer.status >= 200 && answer.status < 300) {
        const id = answer.body?.id;
        return {
          outcome: 'delivered',
          reason: 'delivered',
          ...(typeof id === 'string' ? { targetRef: id } : {}),
        };
      }
      // The receiver holds this user already: an earlier attempt got through.
      if (answer.status === 409) return { outcome: 'delivered', reason: 'already_exists' };
      const detail = scrub(describeAnswer(answer));
      return commonOutcome(answer, detail) ?? { outcome: 'failed', reason: 'rejected', detail };
    },
  };
}
