// keys list | rotate. Rotation makes new keys the signers at once (every replica picks them
// up within its refresh interval) and keeps the old ones published until every token they
// signed has expired.
import { createKeyStore, maxSignedTokenLifetime } from '../../oidc/keys.ts';
import { table, withStore } from '../context.ts';
import type { Command } from '../framework.ts';

export const keyCommands: Command[] = [
  {
    name: 'keys list',
    summary: 'list signing and cookie keys (never their private parts)',
    usage: 'Usage: oidc-bridge keys list [--json]',
    options: { json: { type: 'boolean' } },
    async run({ values }, io) {
      return withStore(values, io, async ({ store, box }) => {
        const keys = createKeyStore(store.db, box);
        await keys.ensure();
        const list = await keys.list();
        if (values.json) io.out(JSON.stringify(list));
        else
          io.out(
            table(list as unknown as Array<Record<string, unknown>>, [
              'kid',
              'use',
              'alg',
              'status',
              'created_at',
              'expires_at',
            ]),
          );
        return 0;
      });
    },
  },
  {
    name: 'keys rotate',
    summary: 'make new keys the signers; keep old ones published until their tokens expire',
    usage: 'Usage: oidc-bridge keys rotate [--json]',
    options: { json: { type: 'boolean' } },
    async run({ values }, io) {
      return withStore(values, io, async ({ config, store, box, audit }) => {
        const keys = createKeyStore(store.db, box);
        await keys.ensure();
        const keep = Math.max(maxSignedTokenLifetime(config), config.oidc.ttl.session);
        const r = await keys.rotate(keep);
        await audit.record({ type: 'admin.keys_rotated', outcome: 'success', actor: 'cli', details: r });
        if (values.json) io.out(JSON.stringify({ ...r, retired_kept_seconds: keep }));
        else {
          io.out(`New active keys: ${r.created.join(', ')}`);
          io.out(`Retired (still published for ${keep} s): ${r.retired.join(', ') || 'none'}`);
        }
        return 0;
      });
    },
  },
];
