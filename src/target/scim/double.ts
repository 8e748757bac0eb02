// A SCIM 2.0 service provider for the tests and `demo --target scim`, written by neither the
// bridge nor its tests: SCIMMY parses, validates and formats every resource (the core and
// enterprise User schemas, PatchOp, filters, ServiceProviderConfig) and scimmy-routers
// serves the RFC 7644 endpoints. All that is ours is the in-memory user store its handlers
// call, with userName unique as RFC 7643 §4.1.1 asks, and the faults every double has.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { createFaults } from '../faults.ts';
import { listenOn } from '../listen.ts';
import {
  type ReferenceDouble,
  type ReferenceOptions,
  type RequestRecord,
  redactPasswords,
} from '../reference.ts';

export const SCIM_PATH = '/scim/v2';

interface StoredUser {
  id: string;
  /** The resource as SCIMMY parsed it from the request, password included. */
  resource: Record<string, unknown>;
  created: string;
}

/** One service provider's users; SCIMMY's handlers are declared once and find theirs here. */
class UserStore {
  readonly byId = new Map<string, StoredUser>();
  readonly creates = new Map<string, number>();

  find(filter?: { match(values: unknown[]): unknown[] }): Record<string, unknown>[] {
    const all = [...this.byId.values()].map((u) => this.out(u));
    return filter ? (filter.match(all) as Record<string, unknown>[]) : all;
  }

  out(u: StoredUser): Record<string, unknown> {
    return {
      ...u.resource,
      id: u.id,
      meta: { resourceType: 'User', created: u.created, lastModified: u.created },
    };
  }

  write(id: string | undefined, instance: Record<string, unknown>): Record<string, unknown> {
    const userName = String(instance.userName ?? '').toLowerCase();
    const clash = [...this.byId.values()].find(
      (u) => u.id !== id && String(u.resource.userName ?? '').toLowerCase() === userName,
    );
    if (clash) throw new SCIMMY.Types.Error(409, 'uniqueness', 'userName is already taken');
    if (id !== undefined) {
      const held = this.byId.get(id);
      if (!held) throw new SCIMMY.Types.Error(404, null as unknown as string, `Resource ${id} not found`);
      held.resource = { ...held.resource, ...instance };
      return this.out(held);
    }
    const user: StoredUser = {
      id: randomUUID(),
      resource: { ...instance },
      created: new Date().toISOString(),
    };
    this.byId.set(user.id, user);
    const legacyId = String(instance.externalId ?? '');
    this.creates.set(legacyId, (this.creates.get(legacyId) ?? 0) + 1);
    return this.out(user);
  }
}

type Handlers = {
  ingress(
    h: (resource: { id?: string }, instance: Record<string, unknown>, ctx: UserStore) => unknown,
  ): Handlers;
  egress(
    h: (resource: { id?: string; filter?: { match(v: unknown[]): unknown[] } }, ctx: UserStore) => unknown,
  ): Handlers;
  degress(h: (resource: { id?: string }, ctx: UserStore) => unknown): Handlers;
};

let declared = false;
function declareUsers(): void {
  if (declared) return;
  declared = true;
  SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    extensions: [{ schema: SCIMMY.Schemas.EnterpriseUser, required: false }],
  });
  const User = SCIMMY.Resources.User as unknown as Handlers;
  User.ingress((resource, instance, store) => store.write(resource.id, instance))
    .egress((resource, store) => {
      const found = store.find(resource.filter);
      if (resource.id && found.length === 0)
        throw new SCIMMY.Types.Error(404, null as unknown as string, `Resource ${resource.id} not found`);
      return found;
    })
    .degress((resource, store) => {
      if (!resource.id || !store.byId.delete(resource.id))
        throw new SCIMMY.Types.Error(404, null as unknown as string, 'Resource not found');
    });
}

export async function startReference(
  opts: ReferenceOptions & { acceptsPassword?: boolean } = {},
): Promise<ReferenceDouble> {
  declareUsers();
  const store = new UserStore();
  const requests: RequestRecord[] = [];
  const faults = createFaults();
  const token = opts.token ?? randomUUID();

  const scim = new SCIMMYRouters({
    type: 'bearer',
    handler: (req: Request) => {
      if (req.header('authorization') !== `Bearer ${token}`) throw new Error('Bearer token required');
      return 'oidc-bridge';
    },
    context: () => store,
  });
  // What this provider takes, as its ServiceProviderConfig says: passwords unless told otherwise.
  SCIMMY.Config.set('changePassword', opts.acceptsPassword !== false);

  const app = express();
  app.disable('x-powered-by');
  app.use(SCIM_PATH, express.json({ type: ['application/scim+json', 'application/json'] }));
  app.use(SCIM_PATH, (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as { externalId?: unknown } | undefined;
    const pathId = /^\/Users\/([^/?]+)/.exec(req.path)?.[1];
    const legacyId =
      typeof body?.externalId === 'string'
        ? body.externalId
        : pathId
          ? String(store.byId.get(decodeURIComponent(pathId))?.resource.externalId ?? '') || undefined
          : undefined;
    const writes = req.method !== 'GET';
    // Recorded when the handler answers, whether or not the client is still there: a
    // request whose client went away was handled all the same.
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      if (writes) {
        const status = res.statusCode;
        const outcome: RequestRecord['outcome'] =
          status === 201
            ? 'created'
            : status === 409
              ? 'duplicate'
              : status === 200 || status === 204
                ? 'updated'
                : status >= 500 || status === 429
                  ? 'fault'
                  : 'refused';
        requests.push({
          at: Date.now(),
          method: req.method,
          path: req.path,
          legacyId,
          status,
          outcome,
          body: redactPasswords(body),
          idempotencyKey: req.get('idempotency-key') || undefined,
        });
      }
      return end(...args);
    }) as Response['end'];
    next();
  });
  app.use(SCIM_PATH, async (_req: Request, res: Response, next: NextFunction) => {
    const fault = await faults.decide();
    if (!fault) return next();
    res
      .status(fault.status)
      .set(fault.headers ?? {})
      .json(fault.body);
  });
  app.use(SCIM_PATH, scim as unknown as express.Router);
  app.get('/healthz', (_req, res) => {
    res.status(faults.mode === 'down' ? 503 : 200).json({ status: faults.mode === 'down' ? 'down' : 'ok' });
  });
  const running = await listenOn(app, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    type: 'scim',
    url: running.url,
    targetConfig: { type: 'scim', url: `${running.url}${SCIM_PATH}`, token },
    requests,
    creates: store.creates,
    users() {
      return new Map(
        [...store.byId.values()].map((u) => {
          const { password: _password, ...rest } = store.out(u);
          return [String(u.resource.externalId), rest];
        }),
      );
    },
    setMode: (mode, options) => faults.set(mode, options),
    reset() {
      store.byId.clear();
      store.creates.clear();
      requests.length = 0;
      faults.set('normal');
    },
    async verifyPassword(legacyId, password) {
      const user = [...store.byId.values()].find((u) => u.resource.externalId === legacyId);
      if (typeof user?.resource.password !== 'string') return false;
      const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
      return timingSafeEqual(digest(user.resource.password), digest(password));
    },
    close: () => running.close(),
  };
}
