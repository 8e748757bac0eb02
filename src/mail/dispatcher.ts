// Sends the e-mails waiting in mail_outbox through the SMTP transport: claims what is due,
// sends it, and retries with back-off until the server takes it or mail.max_attempts is
// reached. A page that queues an e-mail never waits for SMTP; a mail server that is down
// only delays its e-mails. Logs name the row and the SMTP code, never an address or a link.
import type { Knex } from 'knex';
import type { MailConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { backoffDelay } from '../migration/worker.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { startPollLoop } from '../store/leased-jobs.ts';
import { type ClaimedMail, createMailQueue, onMailQueued } from './queue.ts';
import { createMailTransport, describeSendError, type MailTransport } from './transport.ts';

export interface MailDispatcher {
  /** One pass over what is due; resolves to the number of e-mails tried. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

const BATCH = 10;

export function startMailDispatcher(deps: {
  config: MailConfig;
  db: Knex;
  box: SecretBox;
  logger: Logger;
  transport?: MailTransport;
  loop?: boolean;
}): MailDispatcher {
  const { config, logger } = deps;
  const log = logger.child({ component: 'mail' });
  const queue = createMailQueue(deps.db, deps.box);
  const transport = deps.transport ?? createMailTransport(config);
  const leaseMs = config.timeout_ms * 4 + 5000;

  async function send(job: ClaimedMail): Promise<void> {
    let error: string | null = null;
    if (!job.mail) error = 'message erased';
    else {
      try {
        await transport.send(job.mail);
      } catch (err) {
        error = describeSendError(err);
      }
    }
    const permanent = !job.mail || (error?.startsWith('SMTP 5') ?? false);
    const dead = error !== null && (permanent || job.attempts >= config.max_attempts);
    const outcome =
      error === null
        ? { status: 'sent' as const, error: null }
        : dead
          ? { status: 'dead' as const, error }
          : { status: 'pending' as const, error, retryInMs: backoffDelay(job.attempts, config) };
    if (!(await queue.finish(job, outcome))) return;
    const facts = { mail: job.id, kind: job.kind, attempts: job.attempts };
    if (outcome.status === 'sent') log.info(facts, 'e-mail sent');
    else if (outcome.status === 'dead') log.warn({ ...facts, error }, 'e-mail given up');
    else log.info({ ...facts, error, retry_in_ms: outcome.retryInMs }, 'e-mail will be retried');
  }

  async function pass(): Promise<number> {
    const jobs = await queue.claim(BATCH, leaseMs);
    await Promise.allSettled(jobs.map(send));
    return jobs.length;
  }

  const loop = startPollLoop({
    pass,
    batch: BATCH,
    pollMs: config.poll_interval_ms,
    subscribe: onMailQueued,
    onError: (err) => log.warn({ err: { message: err.message } }, 'mail pass failed'),
    loop: deps.loop,
  });

  return {
    runOnce: loop.runOnce,
    async stop() {
      await loop.stop();
      transport.close();
    },
  };
}
