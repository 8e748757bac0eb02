// The password form a webhook carries, chosen in config: an argon2id or bcrypt hash the
// receiver can store as it is (both verify with any standard library), or the commerce
// platform's `{algorithm}${salt}${hash}`. Made from the password at login, off the event loop,
// within the cap on hashes in flight (src/hashing/slots.ts).
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import argon2 from 'argon2';
import { inHashSlot } from '../../hashing/slots.ts';
import { passwordFromPlain, verifyPassword } from '../commerce-import/password.ts';

export type WebhookPasswordForm = 'argon2id' | 'bcrypt' | 'commerce';

/** OWASP's argon2id baseline (19 MiB, 2 passes), and bcrypt at cost 12. */
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const BCRYPT_COST = 12;

export async function makeForm(form: WebhookPasswordForm, password: string): Promise<string> {
  switch (form) {
    case 'argon2id':
      return inHashSlot(() => argon2.hash(password, ARGON2));
    case 'bcrypt':
      return inHashSlot(() => bcryptHash(password, BCRYPT_COST));
    case 'commerce':
      return passwordFromPlain(password, 'sha256');
  }
}

/** What a receiver does with the form at its own login. */
export async function checkForm(
  form: WebhookPasswordForm,
  password: string,
  stored: string,
): Promise<boolean> {
  switch (form) {
    case 'argon2id':
      return argon2.verify(stored, password);
    case 'bcrypt':
      return bcryptVerify(password, stored);
    case 'commerce':
      return verifyPassword(password, stored);
  }
}
