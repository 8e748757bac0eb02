// The http kind: the legacy application checks its own passwords over HTTP, for customers
// who can add an endpoint but give no database access. Two styles: the Keycloak community
// user-migration plugin's (GET the user, then POST the password), so an endpoint built for
// it works unchanged; and one POST {identifier, password} answering the profile on a match.
// 404 or a refused password is a wrong password; 5xx, a timeout, a malformed body or an open
// circuit is "unavailable" (503). Nothing sent or logged carries the password.
import { ConsecutiveBreaker, circuitBreaker, handleType, isBrokenCircuitError } from 'cockatiel';
import type { LegacyConfig, LegacyHttpConfig } from '../../config/schema.ts';
import { LegacyUnavailableError } from '../../errors.ts';
import { silentLogger } from '../../logger.ts';
import { applyFields, checkFields } from '../fields.ts';
import { isLookupValue } from '../lookup-value.ts';
import { commonEntries, type MappingEntry } from '../mapping.ts';
import { normalizeRow, valueAsText } from '../row-values.ts';
import { selfVerifyingParts, unlisted } from '../self-verifying.ts';
import type { LegacySourceDeps } from '../source.ts';
import type { LegacyRow, LegacySource } from '../types.ts';

/** The application answered, but not in a way that says yes or no: counted as an outage. */
class Unavailable extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

type Answer = { status: number; body: unknown };

function authHeader(http: LegacyHttpConfig): Record<string, string> {
  if (http.bearer_token) return { authorization: `Bearer ${http.bearer_token}` };
  if (http.basic) {
    const pair = Buffer.from(`${http.basic.username}:${http.basic.password}`, 'utf8').toString('base64');
    return { authorization: `Basic ${pair}` };
  }
  return {};
}

function isProfile(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function createHttpSource(config: LegacyConfig, deps: LegacySourceDeps = {}): LegacySource {
  const http = config.http!;
  checkFields(config.fields, undefined, false);
  const logger = (deps.logger ?? silentLogger).child({ component: 'legacy' });
  const base = http.url.replace(/\/+$/, '');
  const headers = { accept: 'application/json', ...http.headers, ...authHeader(http) };
  const breaker = circuitBreaker(handleType(Unavailable), {
    halfOpenAfter: http.breaker.reset_ms,
    breaker: new ConsecutiveBreaker(http.breaker.failures),
  });
  let outage: string | undefined;
  breaker.onBreak(() =>
    logger.error({ errorCode: outage ?? 'UNKNOWN' }, 'legacy application unavailable; circuit open'),
  );
  breaker.onReset(() => logger.info('legacy application reachable again; circuit closed'));

  async function send(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(http.timeout_ms),
        redirect: 'error',
      });
    } catch (err) {
      const name = (err as Error).name;
      throw new Unavailable(name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK');
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new Unavailable(`HTTP_${res.status}`);
    }
    // A 401 or 403 to the bridge's own credentials (not to the user's password) is an outage
    // the operator fixes; the password check itself answers 401/403 only for a POST.
    if ((res.status === 401 || res.status === 403) && method === 'GET') {
      await res.body?.cancel();
      throw new Unavailable(`HTTP_${res.status}`);
    }
    const text = await res.text().catch(() => {
      throw new Unavailable('BODY');
    });
    let parsed: unknown = null;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (res.status === 200) throw new Unavailable('MALFORMED_BODY');
      }
    }
    return { status: res.status, body: parsed };
  }

  async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Answer> {
    try {
      const answer = await breaker.execute(() => send(method, url, body));
      if (outage !== undefined) outage = undefined;
      return answer;
    } catch (err) {
      const code = isBrokenCircuitError(err)
        ? 'CIRCUIT_OPEN'
        : err instanceof Unavailable
          ? err.code
          : 'UNKNOWN';
      if (outage !== code && code !== 'CIRCUIT_OPEN')
        logger.error({ errorCode: code }, 'legacy application unavailable');
      if (code !== 'CIRCUIT_OPEN') outage = code;
      throw new LegacyUnavailableError(`The legacy application is unavailable (${code}).`);
    }
  }

  function malformed(): never {
    logger.error(
      { errorCode: 'MALFORMED_BODY' },
      'legacy application answered a profile that is not a JSON object',
    );
    throw new LegacyUnavailableError('The legacy application is unavailable (MALFORMED_BODY).');
  }

  function toRow(profile: Record<string, unknown>, fallbackIdentifier: string): LegacyRow {
    const row = applyFields(normalizeRow(profile), config.fields);
    const id = valueAsText(row[http.id_field]) ?? valueAsText(row.username) ?? fallbackIdentifier;
    const identifiers = http.identifier_fields
      .map((f) => row[f])
      .filter((v): v is string => typeof v === 'string' && v !== '');
    return { id, password: null, salt: undefined, identifiers, row };
  }

  const userUrl = (name: string) => `${base}/${encodeURIComponent(name)}`;

  /** The plugin's GET: 200 with the user, 404 for none; `enabled: false` counts as none. */
  async function getUser(name: string): Promise<LegacyRow | undefined> {
    const answer = await call('GET', userUrl(name));
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) return undefined;
    if (!isProfile(answer.body)) return malformed();
    if (answer.body.enabled === false) return undefined;
    return toRow(answer.body, name);
  }

  const entries: MappingEntry[] = [
    ['legacy.http.id_field', 'id', http.id_field],
    ...http.identifier_fields.map(
      (f, i): MappingEntry => [`legacy.http.identifier_fields[${i}]`, 'identifier', f],
    ),
    ...commonEntries(config.claims, config.fields),
  ];

  return {
    kind: 'http',
    label: base,

    async findByIdentifier(identifier) {
      if (!isLookupValue(identifier)) return undefined;
      // The single POST says who the user is only with the password: the row is the name typed.
      if (http.style === 'post')
        return { id: '', password: null, salt: undefined, identifiers: [identifier], row: {} };
      return getUser(identifier);
    },

    async findById(id) {
      if (!isLookupValue(id)) return undefined;
      if (http.style === 'post') return undefined;
      return getUser(id);
    },

    async verify(row, password) {
      const name =
        http.style === 'post'
          ? row.identifiers[0]
          : (valueAsText(row.row.username) ?? row.identifiers[0] ?? row.id);
      if (!name) return { match: false, scheme: 'http' };
      if (http.style === 'post') {
        const answer = await call('POST', base, { identifier: name, password });
        if (answer.status !== 200) return { match: false, scheme: 'http' };
        if (!isProfile(answer.body)) return malformed();
        if (answer.body.enabled === false) return { match: false, scheme: 'http' };
        return { match: true, scheme: 'http', row: toRow(answer.body, name) };
      }
      const answer = await call('POST', userUrl(name), { password });
      return { match: answer.status === 200 || answer.status === 204, scheme: 'http' };
    },

    verifyScheme: 'http',
    // The user-migration GET takes a login name: an id finds the user only when it is one.
    findsById: http.style === 'user-migration' && http.id_field === 'username',

    ...unlisted('http', "the application's endpoint checks one user at a time and lists none"),
    ...selfVerifyingParts({
      entries,
      claims: config.claims,
      ping: async () => {
        await call('GET', base);
      },
    }),
  };
}
