// The commerce platform's reference import API as a ReferenceDouble, for the delivery tests
// that run on every target and for `demo --target commerce-import`.
import type { ReferenceDouble, ReferenceOptions, RequestOutcome } from '../reference.ts';
import { verifyPassword } from './password.ts';
import { createReferenceTarget, type ImportRequestRecord } from './reference.ts';

function outcomeOf(r: ImportRequestRecord): RequestOutcome {
  // A replay is answered as the first request was, and creates nothing.
  if (r.replayed) return 'duplicate';
  if (r.status === 201 || r.status === 200) return 'created';
  if (r.status === 409 && r.error === 'already_exists') return 'duplicate';
  if (r.status >= 500 || r.status === 429) return 'fault';
  return 'refused';
}

export async function startReference(opts: ReferenceOptions = {}): Promise<ReferenceDouble> {
  const target = createReferenceTarget({ token: opts.token, logger: opts.logger, control: true });
  const creates = new Map<string, number>();
  const users = target.state.users;
  const set = users.set.bind(users);
  // Counted where the user is stored, not from the answers: an answer to a client that was
  // killed is never read, but the user it announced exists all the same.
  users.set = (code, user) => {
    creates.set(code, (creates.get(code) ?? 0) + 1);
    return set(code, user);
  };
  const running = await target.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  const codeOf = (body: unknown) => {
    const code = (body as { customer_code?: unknown } | null)?.customer_code;
    return typeof code === 'string' ? code : undefined;
  };
  return {
    type: 'commerce-import',
    url: running.url,
    targetConfig: {
      type: 'commerce-import',
      url: running.importUrl,
      ...(opts.token ? { headers: { Authorization: `Bearer ${opts.token}` } } : {}),
    },
    get requests() {
      return target.state.requests.map((r) => ({
        at: r.at,
        method: 'POST',
        path: '/api/users/import',
        legacyId: codeOf(r.body),
        status: r.status,
        outcome: outcomeOf(r),
        body: r.body,
        idempotencyKey: r.idempotencyKey,
      }));
    },
    creates,
    users() {
      return new Map(
        [...users].map(([code, { password: _password, ...rest }]) => [code, rest as Record<string, unknown>]),
      );
    },
    setMode: (mode, options) => target.state.setMode(mode, options),
    reset() {
      target.state.reset();
      creates.clear();
    },
    async verifyPassword(legacyId, password) {
      const user = users.get(legacyId);
      return user !== undefined && verifyPassword(password, user.password);
    },
    close: () => running.close(),
  };
}
