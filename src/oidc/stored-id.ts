// The id a payload is stored under, for every store the adapter writes to. It is the one
// place where a token id is keyed and hashed before it reaches the store at rest, so the
// PostgreSQL and Redis stores always agree on what a lookup by id means, and a copy of
// either store holds no value a client could present.
import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Models whose id is a bearer value: presenting it is being the holder. (DeviceCode is found
 * by its user code, and so needs its own id in the payload; the device flow is not enabled.)
 */
export const HASHED_ID_MODELS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
]);

/**
 * The key of the id hash: derived from the key encryption key, so that a store copied without
 * it cannot even test a guessed token against its rows. Without one, a fixed key: the hash
 * still turns a stolen row into nothing a client could present.
 */
export function tokenIdKey(kek: string | undefined): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(kek ?? 'oidc-bridge:no-key-encryption-key', 'utf8'),
      'oidc-bridge',
      'token-ids-v1',
      32,
    ),
  );
}

/** The stored form of `id`, a payload of model `model`: a keyed hash for bearer values. */
export function storedId(model: string, id: string, key: Buffer): string {
  return HASHED_ID_MODELS.has(model) ? `h1.${createHmac('sha256', key).update(id).digest('base64url')}` : id;
}
