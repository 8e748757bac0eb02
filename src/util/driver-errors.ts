// A stable, loggable code for whatever a database driver throws (pg, mysql2, knex): the
// driver's code or SQLSTATE, or one derived from the kind of failure. Shared by the legacy
// source and the bridge store, which both need to tell an outage from a query's own error.

interface DriverError {
  code?: unknown;
  name?: unknown;
  message?: unknown;
}

export function driverErrorCode(err: unknown): string {
  const e = (err ?? {}) as DriverError;
  if (typeof e.code === 'string' && e.code) return e.code;
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'KnexTimeoutError') {
    return message.includes('acquiring a connection') ? 'ACQUIRE_TIMEOUT' : 'QUERY_TIMEOUT';
  }
  if (/Connection terminated/i.test(message)) return 'CONNECTION_TERMINATED';
  if (/Query read timeout/i.test(message)) return 'QUERY_TIMEOUT';
  if (/timeout/i.test(message)) return 'TIMEOUT';
  if (typeof e.code === 'number') return String(e.code);
  return typeof e.name === 'string' && e.name !== 'Error' ? e.name : 'UNKNOWN';
}
