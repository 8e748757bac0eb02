// Jenkins' own user database (HudsonPrivateSecurityRealm): `#jbcrypt:` + a bcrypt string.

import { bcryptDecoy, verifyBcrypt } from './bcrypt.ts';
import type { Verifier } from './types.ts';

const PREFIX = '#jbcrypt:';

export const jenkinsVerifier: Verifier = {
  id: 'jenkins',
  label: 'Jenkins #jbcrypt:',
  detect: (stored) => stored.startsWith(PREFIX),
  verify: ({ password, stored }) => verifyBcrypt(password, stored.slice(PREFIX.length), 'jenkins'),
  decoy: async (like) => PREFIX + (await bcryptDecoy(like?.slice(PREFIX.length))),
};
