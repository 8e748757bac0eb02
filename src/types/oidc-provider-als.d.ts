// oidc-provider's own AsyncLocalStorage, whose store is the koa context of the request it
// serves (lib/helpers/als.js; `Provider.ctx` reads it). The payload scope keys on it, so that
// the process runs one AsyncLocalStorage, not two (payload-scope.ts).
declare module 'oidc-provider/lib/helpers/als.js' {
  import type { AsyncLocalStorage } from 'node:async_hooks';

  const als: AsyncLocalStorage<object>;
  export default als;
}
