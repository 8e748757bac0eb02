// A lean load-generating client for the login benches: node:http on one keep-alive agent, a
// cookie jar per simulated browser, and the code flow with PKCE done by hand. The benches
// share two cores with the server, so the client must cost far less than fetch + openid-client.
import { createHash, randomBytes } from 'node:crypto';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface BenchClient {
  id: string;
  secret: string;
  redirectUri: string;
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

/** One agent for every simulated browser: connections are reused, cookies are not. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 64 });
}

export function send(
  agent: Agent,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.body !== undefined) req.end(init.body);
    else req.end();
  });
}

class CookieJar {
  readonly #cookies = new Map<string, string>();

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(headers: IncomingHttpHeaders): void {
    for (const line of headers['set-cookie'] ?? []) {
      const pair = line.split(';', 1)[0]!;
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

export function basicAuth(client: BenchClient): string {
  const enc = (s: string) => encodeURIComponent(s);
  return `Basic ${Buffer.from(`${enc(client.id)}:${enc(client.secret)}`).toString('base64')}`;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * One whole login as a browser and its relying party make it: authorize, the login form
 * (when the server shows one), the resume redirects, the code exchange. Throws on any
 * answer a successful login would not give, so a bench never counts a failure as a login.
 */
export async function loginFlow(
  agent: Agent,
  base: string,
  client: BenchClient,
  identifier: string,
  password: string,
): Promise<Tokens> {
  const attempt = await loginAttempt(agent, base, client, identifier, password);
  if ('tokens' in attempt) return attempt.tokens;
  throw new Error(`login of ${identifier} was refused with ${attempt.refusedWith}`);
}

/**
 * A login that must fail: the form posted with a wrong password. Resolves to the status of
 * the page that refused it (401 with the form again); throws if the login went through or
 * stopped anywhere else, so a bench never counts a broken flow as a refusal.
 */
export async function failedLogin(
  agent: Agent,
  base: string,
  client: BenchClient,
  identifier: string,
  password: string,
): Promise<number> {
  const attempt = await loginAttempt(agent, base, client, identifier, password);
  if ('tokens' in attempt) throw new Error(`login of ${identifier} went through with a wrong password`);
  return attempt.refusedWith;
}

/** The flow of loginFlow up to its end: tokens, or the status of the page that refused the form. */
async function loginAttempt(
  agent: Agent,
  base: string,
  client: BenchClient,
  identifier: string,
  password: string,
): Promise<{ tokens: Tokens } | { refusedWith: number }> {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    client_id: client.id,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: 'openid email profile',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
  });
  let url = `${base}/auth?${params}`;
  let init: { method?: string; headers?: Record<string, string>; body?: string } = {};
  let posted = false;
  for (let step = 0; step < 10; step++) {
    const reply = await send(agent, url, { ...init, headers: { ...init.headers, cookie: jar.header() } });
    jar.store(reply.headers);
    const location = reply.headers.location;
    if (reply.status >= 300 && reply.status < 400 && location) {
      const next = new URL(location, url).toString();
      if (next.startsWith(client.redirectUri))
        return { tokens: await exchange(agent, base, client, next, verifier) };
      url = next;
      init = {};
      continue;
    }
    const action = /<form method="post" action="([^"]*\/login)"/.exec(reply.body)?.[1];
    const csrf = /name="csrf" value="([^"]*)"/.exec(reply.body)?.[1];
    // The form shown again after the post: the login was refused.
    if (posted && action && (reply.status === 401 || reply.status === 429))
      return { refusedWith: reply.status };
    if (reply.status !== 200 || posted || !action || !csrf) {
      throw new Error(`login of ${identifier} stopped at ${reply.status} ${url}`);
    }
    posted = true;
    url = new URL(action.replace(/&amp;/g, '&'), url).toString();
    init = {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams({ csrf, identifier, password }).toString(),
    };
  }
  throw new Error(`login of ${identifier}: too many redirects`);
}

async function exchange(
  agent: Agent,
  base: string,
  client: BenchClient,
  callback: string,
  verifier: string,
): Promise<Tokens> {
  const code = new URL(callback).searchParams.get('code');
  if (!code) throw new Error(`no code in the callback: ${callback}`);
  const reply = await send(agent, `${base}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuth(client) },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
      code_verifier: verifier,
    }).toString(),
  });
  if (reply.status !== 200) throw new Error(`code exchange failed: ${reply.status} ${reply.body}`);
  const tokens = JSON.parse(reply.body) as Tokens;
  if (!tokens.access_token || !tokens.id_token) throw new Error('code exchange gave no tokens');
  return tokens;
}

export async function refresh(
  agent: Agent,
  base: string,
  client: BenchClient,
  token: string,
): Promise<Reply> {
  return send(agent, `${base}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuth(client) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
  });
}
