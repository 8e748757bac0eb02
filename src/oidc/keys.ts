// Signing keys (RS256 and ES256) and cookie keys, kept in the store so that every replica
// signs with the same keys. The newest active key signs; a rotated key stays in the JWKS
// until every token it signed has expired. Private material goes through the secret box.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Knex } from 'knex';
import type { Config } from '../config/schema.ts';
import type { SecretBox } from '../security/secret-box.ts';

/** The longest a token signed by a key can live: how long a retired key stays published. */
export function maxSignedTokenLifetime(config: Config): number {
  return Math.max(config.oidc.ttl.id_token, config.oidc.ttl.access_token);
}

export const SIGNING_ALGS = ['RS256', 'ES256'] as const;

export interface KeyRow {
  kid: string;
  use: 'sig' | 'cookie';
  alg: string;
  status: 'active' | 'retired';
  created_at: Date;
  retired_at: Date | null;
  expires_at: Date | null;
}

export interface ProviderKeys {
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  /** Changes whenever the set of keys changes; replicas compare it to reload. */
  fingerprint: string;
}

export function createKeyStore(db: Knex, box: SecretBox) {
  async function newSigningKey(trx: Knex, alg: (typeof SIGNING_ALGS)[number]): Promise<string> {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    const full = { ...jwk, kid, alg, use: 'sig' };
    await trx('keys').insert({
      kid,
      use: 'sig',
      alg,
      status: 'active',
      material: box.seal(JSON.stringify(full)),
    });
    return kid;
  }

  async function newCookieKey(trx: Knex): Promise<string> {
    const kid = `cookie-${randomBytes(8).toString('hex')}`;
    await trx('keys').insert({
      kid,
      use: 'cookie',
      alg: 'HS256',
      status: 'active',
      material: box.seal(randomBytes(32).toString('base64url')),
    });
    return kid;
  }

  return {
    /** Generates the first keys when the store has none. Safe under concurrent starts. */
    async ensure(): Promise<boolean> {
      return db.transaction(async (trx) => {
        await trx.raw('LOCK TABLE keys IN SHARE ROW EXCLUSIVE MODE');
        const have = await trx('keys').where({ status: 'active' }).select('use', 'alg');
        let created = false;
        for (const alg of SIGNING_ALGS) {
          if (!have.some((k) => k.use === 'sig' && k.alg === alg)) {
            await newSigningKey(trx, alg);
            created = true;
          }
        }
        if (!have.some((k) => k.use === 'cookie')) {
          await newCookieKey(trx);
          created = true;
        }
        return created;
      });
    },

    /**
     * Makes new keys the signers. The old ones are retired and published until
     * `keepSeconds` from now (the longest lifetime of anything they signed).
     */
    async rotate(keepSeconds: number): Promise<{ created: string[]; retired: string[] }> {
      return db.transaction(async (trx) => {
        await trx.raw('LOCK TABLE keys IN SHARE ROW EXCLUSIVE MODE');
        const old = await trx('keys').where({ status: 'active' }).select('kid');
        const expires = new Date(Date.now() + keepSeconds * 1000);
        await trx('keys')
          .whereIn(
            'kid',
            old.map((k) => k.kid),
          )
          .update({ status: 'retired', retired_at: trx.fn.now(), expires_at: expires });
        const created = [];
        for (const alg of SIGNING_ALGS) created.push(await newSigningKey(trx, alg));
        created.push(await newCookieKey(trx));
        return { created, retired: old.map((k) => k.kid) };
      });
    },

    async list(): Promise<KeyRow[]> {
      return db('keys')
        .select('kid', 'use', 'alg', 'status', 'created_at', 'retired_at', 'expires_at')
        .orderBy([{ column: 'use' }, { column: 'created_at', order: 'desc' }]);
    },

    /** Deletes retired keys whose tokens have all expired. */
    async prune(): Promise<number> {
      return db('keys').where({ status: 'retired' }).andWhere('expires_at', '<', db.fn.now()).delete();
    },

    /** The keys oidc-provider is built with: active first (they sign), newest first. */
    async load(): Promise<ProviderKeys> {
      const rows = await db('keys')
        .where((q) => q.where({ status: 'active' }).orWhere('expires_at', '>', db.fn.now()))
        .orderByRaw("CASE status WHEN 'active' THEN 0 ELSE 1 END")
        .orderBy('created_at', 'desc')
        .orderBy('kid')
        .select('kid', 'use', 'material');
      // Keys made in one transaction share created_at: ordered by algorithm as SIGNING_ALGS
      // lists them (a stable sort keeps newest first within one), so that discovery's
      // id_token_signing_alg_values_supported, which follows this order, never changes.
      const rank = (alg: unknown) => SIGNING_ALGS.indexOf(alg as (typeof SIGNING_ALGS)[number]);
      const jwks = rows
        .filter((r) => r.use === 'sig')
        .map((r) => JSON.parse(box.open(r.material)) as JWK)
        .sort((a, b) => rank(a.alg) - rank(b.alg));
      const cookieKeys = rows.filter((r) => r.use === 'cookie').map((r) => box.open(r.material));
      return { jwks: { keys: jwks }, cookieKeys, fingerprint: rows.map((r) => r.kid).join(',') };
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
