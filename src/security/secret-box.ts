// Encryption of secrets at rest (private signing keys, cookie keys) with AES-256-GCM under
// a key derived from the configured key_encryption_key. Without one, material is stored as
// it is and the bridge warns at start.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { BridgeError } from '../errors.ts';

const PREFIX = 'enc:v1:';

export interface SecretBox {
  readonly enabled: boolean;
  seal(plain: string): string;
  open(stored: string): string;
}

export function createSecretBox(kek: string | undefined): SecretBox {
  const key = kek
    ? Buffer.from(hkdfSync('sha256', Buffer.from(kek, 'utf8'), 'oidc-bridge', 'secrets-at-rest-v1', 32))
    : undefined;
  return {
    enabled: key !== undefined,
    seal(plain) {
      if (!key) return plain;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ct.toString('base64url')}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      if (!key) {
        throw new BridgeError(
          'kek_missing',
          'The store holds encrypted keys, but no key_encryption_key is configured. Fix: set OIDC_BRIDGE_KEY (or key_encryption_key) to the key they were encrypted with.',
          500,
        );
      }
      const [iv, tag, ct] = stored.slice(PREFIX.length).split('.');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
        decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(ct ?? '', 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new BridgeError(
          'kek_wrong',
          'The stored keys cannot be decrypted with the configured key_encryption_key. Fix: set OIDC_BRIDGE_KEY to the key they were encrypted with.',
          500,
        );
      }
    },
  };
}
