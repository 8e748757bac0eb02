// oidc-provider's interaction policy with one more check in its login prompt: a session
// whose factors fall short of what the request asks (acr_values, the client's
// default_acr_values, an acr claim) or of mfa.required is sent back to the interaction,
// which then asks for the second step only.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import { type Amr, needsMore, requestedAcrs } from './acr.ts';

export const SECOND_FACTOR_REASON = 'second_factor';

export function secondFactorPolicy(config: Pick<Config, 'mfa'>): interactionPolicy.Prompt[] {
  const { base, Check } = interactionPolicy;
  const policy = base();
  policy.get('login')!.checks.add(
    new Check(
      SECOND_FACTOR_REASON,
      'a second authentication factor is required',
      (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        if (!oidc.session?.accountId) return Check.NO_NEED_TO_PROMPT;
        const acr = (oidc.claims as { id_token?: { acr?: { value?: unknown; values?: unknown } } }).id_token
          ?.acr;
        const amr = (oidc.session as unknown as { amr?: Amr }).amr;
        return needsMore(config, requestedAcrs(acr), amr) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
      },
    ),
  );
  return policy;
}
