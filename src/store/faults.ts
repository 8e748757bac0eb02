// Tells a bridge store that is down, cut or stalled from a bug: connection refused or reset,
// a pool that found no connection in time, a statement the server cancelled or never
// answered, a server shutting down. Those are outages: 503 with Retry-After, never a 500.
import { StoreUnavailableError } from '../errors.ts';
import { driverErrorCode } from '../util/driver-errors.ts';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ACQUIRE_TIMEOUT',
  'QUERY_TIMEOUT',
  'TIMEOUT',
  'CONNECTION_TERMINATED',
]);

/** The driver code when `err` is a store outage, else undefined. */
export function storeFaultCode(err: unknown): string | undefined {
  if (err instanceof StoreUnavailableError) return err.reason;
  const code = driverErrorCode(err);
  // SQLSTATE 08 (connection exception), 57014 (statement timeout), 57P01-57P03 (shutdown,
  // cannot connect now), 53300 (too many connections).
  if (NETWORK.has(code) || /^08[0-9A-Z]{3}$/.test(code) || /^57(014|P0[1-3])$/.test(code) || code === '53300')
    return code;
  return undefined;
}

/** `err` as a StoreUnavailableError when it is a store outage, else undefined. */
export function asStoreFault(err: unknown): StoreUnavailableError | undefined {
  if (err instanceof StoreUnavailableError) return err;
  const code = storeFaultCode(err);
  return code ? new StoreUnavailableError(code) : undefined;
}
