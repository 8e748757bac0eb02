// Discovery and the JWKS are one document for every request until the provider is rebuilt
// (new keys): the first answer oidc-provider gives is kept, and later requests get its bytes
// with the headers it sends (CORS for any origin, Vary: Origin), without a pass through its
// koa app. What is kept is only ever what oidc-provider itself answered with 200.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

interface KeptDocument {
  body: Buffer;
  type: string;
}

export interface StaticDocuments {
  /**
   * Answers `req` from a kept document and returns true; returns false when the request is
   * not a plain GET of one of the paths, or the document is not kept yet (then it is kept
   * from the answer the caller lets oidc-provider give).
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
}

/** `paths`: the request paths whose answers never vary, such as discovery and the JWKS. */
export function createStaticDocuments(paths: readonly string[]): StaticDocuments {
  const kept = new Map<string, KeptDocument>();
  const wanted = new Set(paths);

  const keep = (key: string, res: ServerResponse): void => {
    const end = res.end;
    // koa ends a JSON answer with one res.end(string) once its headers are set.
    res.end = function keepingEnd(this: ServerResponse, ...args: unknown[]) {
      const [chunk] = args;
      const type = res.getHeader('content-type');
      if (res.statusCode === 200 && typeof type === 'string' && typeof chunk === 'string') {
        kept.set(key, { body: Buffer.from(chunk), type });
      }
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
  };

  return {
    answer(req, res) {
      const url = req.url ?? '';
      if (req.method !== 'GET' || !wanted.has(url)) return false;
      // The URLs inside discovery carry the request's scheme: one document per scheme.
      const key = (req.socket as TLSSocket).encrypted ? `https:${url}` : url;
      const doc = kept.get(key);
      if (!doc) {
        keep(key, res);
        return false;
      }
      res.statusCode = 200;
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
      res.setHeader('Content-Type', doc.type);
      res.setHeader('Content-Length', doc.body.length);
      res.end(doc.body);
      return true;
    },
  };
}
