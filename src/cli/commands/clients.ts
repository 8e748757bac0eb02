// clients add | list | remove | rotate-secret: manage relying parties in the store. A secret
// is printed once, when it is created or rotated, and never again.
import { UsageError } from '../../errors.ts';
import { createClientStore } from '../../oidc/clients.ts';
import { table, withStore } from '../context.ts';
import { type Command, requireString } from '../framework.ts';

const addUsage = `Usage: oidc-bridge clients add --id ID --redirect-uri URL [--redirect-uri URL...]
                          [--secret S | --public] [--post-logout-redirect-uri URL...]
                          [--first-party] [--name NAME] [--backchannel-logout-uri URL]
                          [--require-mfa] [--introspect-for CLIENT_ID...] [--json]

  --id ID                        the client_id
  --redirect-uri URL             an allowed redirect URI (repeatable)
  --secret S                     the client secret; generated when omitted
  --public                       a public client (no secret; PKCE only), e.g. a SPA or native app
  --post-logout-redirect-uri URL where RP-initiated logout may return (repeatable)
  --first-party                  skip the consent page for this client
  --name NAME                    shown on the login and consent pages
  --backchannel-logout-uri URL   where the bridge POSTs a logout token when a session of this
                                 client ends (OpenID Connect Back-Channel Logout 1.0)
  --require-mfa                  every sign-in for this client needs a second factor
  --introspect-for CLIENT_ID     this client (a resource server) may introspect the tokens of
                                 CLIENT_ID (repeatable; * for every client). Without it a client
                                 introspects only its own tokens; any other answers inactive.`;

export const clientCommands: Command[] = [
  {
    name: 'clients add',
    summary: 'register a relying party',
    usage: addUsage,
    options: {
      id: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      secret: { type: 'string' },
      public: { type: 'boolean' },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'first-party': { type: 'boolean' },
      name: { type: 'string' },
      'backchannel-logout-uri': { type: 'string' },
      'require-mfa': { type: 'boolean' },
      'introspect-for': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    async run({ values }, io) {
      const id = requireString(values, 'id', addUsage);
      const redirectUris = (values['redirect-uri'] as string[] | undefined) ?? [];
      if (redirectUris.length === 0)
        throw new UsageError('--redirect-uri is required (at least one).', addUsage);
      if (values.public && values.secret)
        throw new UsageError('--public and --secret exclude each other.', addUsage);
      return withStore(values, io, async ({ store, box, audit }) => {
        const created = await createClientStore(store.db, box).add({
          id,
          redirectUris,
          secret: values.secret as string | undefined,
          public: values.public === true,
          postLogoutRedirectUris: (values['post-logout-redirect-uri'] as string[] | undefined) ?? [],
          firstParty: values['first-party'] === true,
          name: values.name as string | undefined,
          backchannelLogoutUri: values['backchannel-logout-uri'] as string | undefined,
          requireMfa: values['require-mfa'] === true,
          introspectFor: values['introspect-for'] as string[] | undefined,
        });
        await audit.record({ type: 'admin.client_added', outcome: 'success', actor: 'cli', clientId: id });
        if (values.json) {
          io.out(JSON.stringify({ ...created, redirect_uris: redirectUris }));
        } else {
          io.out(`client_id:     ${created.client_id}`);
          if (created.client_secret) io.out(`client_secret: ${created.client_secret}`);
          else io.out('client_secret: (none: public client, PKCE only)');
          io.out(`redirect_uris: ${redirectUris.join(' ')}`);
          if (values['backchannel-logout-uri'])
            io.out(`backchannel_logout_uri: ${values['backchannel-logout-uri'] as string}`);
          if (created.client_secret && !values.secret)
            io.out('\nStore the secret now: it is not shown again.');
        }
        return 0;
      });
    },
  },
  {
    name: 'clients list',
    summary: 'list relying parties (never their secrets)',
    usage: 'Usage: oidc-bridge clients list [--json]',
    options: { json: { type: 'boolean' } },
    async run({ values }, io) {
      return withStore(values, io, async ({ store, box }) => {
        const list = await createClientStore(store.db, box).list();
        if (values.json) io.out(JSON.stringify(list));
        else if (list.length === 0)
          io.out('No clients. Add one with: oidc-bridge clients add --id ID --redirect-uri URL');
        else
          io.out(
            table(
              list.map((c) => ({
                ...c,
                type: c.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
              })),
              ['client_id', 'type', 'first_party', 'redirect_uris'],
            ),
          );
        return 0;
      });
    },
  },
  {
    name: 'clients remove',
    summary: 'remove a relying party',
    usage: 'Usage: oidc-bridge clients remove ID',
    options: {},
    positionals: ['ID'],
    async run({ values, positionals }, io) {
      const id = positionals[0];
      if (!id) throw new UsageError('The client ID is required.', 'Usage: oidc-bridge clients remove ID');
      return withStore(values, io, async ({ store, box, audit }) => {
        await createClientStore(store.db, box).remove(id);
        await audit.record({ type: 'admin.client_removed', outcome: 'success', actor: 'cli', clientId: id });
        io.out(`Removed client ${id}.`);
        return 0;
      });
    },
  },
  {
    name: 'clients rotate-secret',
    summary: "replace a client's secret (printed once)",
    usage: 'Usage: oidc-bridge clients rotate-secret ID [--json]',
    options: { json: { type: 'boolean' } },
    positionals: ['ID'],
    async run({ values, positionals }, io) {
      const id = positionals[0];
      if (!id)
        throw new UsageError('The client ID is required.', 'Usage: oidc-bridge clients rotate-secret ID');
      return withStore(values, io, async ({ store, box, audit }) => {
        const r = await createClientStore(store.db, box).rotateSecret(id);
        await audit.record({
          type: 'admin.client_secret_rotated',
          outcome: 'success',
          actor: 'cli',
          clientId: id,
        });
        if (values.json) io.out(JSON.stringify(r));
        else
          io.out(
            `client_id:     ${r.client_id}\nclient_secret: ${r.client_secret}\n\nStore the secret now: it is not shown again.`,
          );
        return 0;
      });
    },
  },
];
