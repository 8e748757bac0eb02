// WordPress 6.8+: `$wp` + a bcrypt string of base64(HMAC-SHA384(password, key 'wp-sha384')),
// which lifts bcrypt's 72-byte limit (wp-includes/pluggable.php, wp_check_password). Older
// WordPress rows are phpass `$P$` (phpass.ts).

import { bcryptDecoy, verifyBcrypt } from './bcrypt.ts';
import { hmac } from './digests.ts';
import type { Verifier } from './types.ts';

export const wordpressVerifier: Verifier = {
  id: 'wordpress',
  label: 'WordPress 6.8+',
  detect: (stored) => stored.startsWith('$wp$2'),
  verify: ({ password, stored }) =>
    verifyBcrypt(hmac('sha384', 'wp-sha384', password).toString('base64'), stored.slice(3), 'wordpress'),
  decoy: async (like) => `$wp${await bcryptDecoy(like?.slice(3))}`,
};
