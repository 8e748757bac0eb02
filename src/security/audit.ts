// The audit trail: one row per security-relevant event (login success or failure with a
// reason code, lockout, migration, delivery, admin action). Never a password or a hash;
// a failure to write an audit row is logged and never fails the action it describes. A
// login name is kept normalised and capped (see auditIdentifier), never exactly as typed.
import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import { auditIdentifier } from './identifier-key.ts';

export interface AuditEvent {
  type: string;
  outcome: 'success' | 'failure' | 'info';
  reason?: string | undefined;
  sub?: string | undefined;
  identifier?: string | undefined;
  ip?: string | undefined;
  clientId?: string | undefined;
  actor?: string | undefined;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  type?: string | undefined;
  outcome?: string | undefined;
  sub?: string | undefined;
  identifier?: string | undefined;
  since?: Date | undefined;
  limit?: number | undefined;
}

const AUDIT_IP_MAX = 64;

function auditRow(e: AuditEvent) {
  return {
    type: e.type,
    outcome: e.outcome,
    reason: e.reason ?? null,
    sub: e.sub ?? null,
    identifier: e.identifier ? auditIdentifier(e.identifier) || null : null,
    // The column holds 64 characters; an address from a forwarded header may be longer.
    ip: e.ip ? e.ip.slice(0, AUDIT_IP_MAX) : null,
    client_id: e.clientId ?? null,
    actor: e.actor ?? null,
    details: JSON.stringify(e.details ?? {}),
  };
}

export function createAudit(db: Knex, logger: Logger) {
  return {
    /** The row's INSERT, not sent: for a caller that writes it within a statement of its own. */
    insertOf(e: AuditEvent, trx: Knex = db): Knex.QueryBuilder {
      return trx('audit_events').insert(auditRow(e));
    },

    async record(e: AuditEvent, trx: Knex = db): Promise<void> {
      try {
        await trx('audit_events').insert(auditRow(e));
      } catch (err) {
        logger.error({ err: { code: (err as { code?: string }).code }, event: e.type }, 'audit write failed');
        if (trx !== db) throw err;
      }
    },

    async list(q: AuditQuery = {}) {
      const query = db('audit_events')
        .orderBy('id', 'desc')
        .limit(Math.min(q.limit ?? 100, 10_000));
      if (q.type) query.where('type', q.type);
      if (q.outcome) query.where('outcome', q.outcome);
      if (q.sub) query.where('sub', q.sub);
      if (q.identifier) query.where('identifier', auditIdentifier(q.identifier));
      if (q.since) query.where('at', '>=', q.since);
      return query.select(
        'id',
        'at',
        'type',
        'outcome',
        'reason',
        'sub',
        'identifier',
        'ip',
        'client_id',
        'actor',
        'details',
      );
    },
  };
}

export type Audit = ReturnType<typeof createAudit>;
