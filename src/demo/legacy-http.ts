// A legacy application's own password check over real HTTP, for the http source kind: the
// demo's `--legacy http` endpoint and the http source tests' server. It serves both styles:
// the Keycloak community user-migration plugin's API (GET /users/{name}, POST /users/{name}
// {password}) and a single POST /check {identifier, password}. Its modes make the faults the
// bridge must tell from a wrong password: 5xx, a stall, a malformed body.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface AppUser {
  id: number;
  username: string;
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  enabled?: boolean;
  roles?: string[];
  /** More fields of the profile the application answers (the shop's own columns). */
  profile?: Record<string, unknown>;
}

export type AppMode = 'normal' | 'down' | 'stall' | 'garbage';

export interface AppRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The body with the password replaced, as the test may print it. */
  body: unknown;
}

export interface LegacyApp {
  url: string;
  requests: AppRequest[];
  setMode(mode: AppMode): void;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function profile(u: AppUser) {
  const { password: _p, profile: extra, ...rest } = u;
  return { ...rest, emailVerified: true, attributes: {}, groups: [], requiredActions: [], ...extra };
}

export async function startLegacyApp(
  users: AppUser[],
  opts: { authorization?: string } = {},
): Promise<LegacyApp> {
  let mode: AppMode = 'normal';
  const requests: AppRequest[] = [];
  const find = (name: string) =>
    users.find((u) => u.username === name || u.email.toLowerCase() === name.toLowerCase());
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
      body: body && 'password' in body ? { ...body, password: '[redacted]' } : body,
    });
    const send = (status: number, value?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(value === undefined ? '' : JSON.stringify(value));
    };
    if (mode === 'down') return send(503, { error: 'maintenance' });
    if (mode === 'stall') return; // never answers
    if (mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>Gateway says hello</html>');
    }
    if (opts.authorization && req.headers.authorization !== opts.authorization) return send(401);
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === 'users' && segments.length === 1) return send(200, { ok: true });
    if (segments[0] === 'users' && segments.length === 2) {
      const user = find(segments[1]!);
      if (!user) return send(404);
      if (req.method === 'GET') return send(200, profile(user));
      return body?.password === user.password ? send(200) : send(401);
    }
    if (segments[0] === 'check' && req.method === 'POST') {
      const user = typeof body?.identifier === 'string' ? find(body.identifier) : undefined;
      if (!user || body?.password !== user.password) return send(401, { error: 'invalid' });
      return send(200, profile(user));
    }
    return send(404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setMode(m) {
      mode = m;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
