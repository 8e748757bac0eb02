// The parts of one bridge that a provider people keep needs beyond the password: second
// factors (with the legacy TOTP carried over at migration), passkeys, remembered consent and
// back-channel logout through the store. app.ts builds them here and wires each in one line.
import type Provider from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import { createSecondFactorRouter } from '../interactions/second-factor.ts';
import type { Logger } from '../logger.ts';
import type { Accounts } from '../migration/accounts.ts';
import type { Audit } from '../security/audit.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { createConsents } from '../sessions/consents.ts';
import { startLogoutDispatcher } from '../sessions/logout-dispatcher.ts';
import { createPayloads } from '../sessions/payloads.ts';
import { createSessions } from '../sessions/sessions.ts';
import type { Store } from '../store/db.ts';
import type { Renderer } from '../ui/render.ts';
import { createTotpCarryOver } from './carry-over.ts';
import { createSecondFactors } from './second-factors.ts';

export interface AccountFeatureDeps {
  config: Config;
  store: Store;
  box: SecretBox;
  audit: Audit;
  logger: Logger;
}

export function createAccountFeatures(deps: AccountFeatureDeps) {
  const { config, store, box, audit, logger } = deps;
  const factors = createSecondFactors({ config, store, box, audit, logger });
  const payloads = createPayloads(store.db, store.shortLived);
  return {
    factors,
    consents: createConsents(store.db, payloads, config.oidc.ttl.grant),
    sessions: createSessions(store.db, payloads),
    /** Throws ConfigError at start when legacy.totp cannot work (a wrong key). */
    totpCarryOver: createTotpCarryOver(config.legacy, factors, logger),

    routes(ui: {
      provider: () => Provider;
      cookieKeys: () => string[];
      renderer: Renderer;
      accounts: Pick<Accounts, 'findBySub'>;
    }) {
      return createSecondFactorRouter({ config, factors, box, logger, ...ui });
    },

    startLogoutDelivery(provider: () => Provider) {
      return startLogoutDispatcher({ config, db: store.db, provider, logger });
    },
  };
}
