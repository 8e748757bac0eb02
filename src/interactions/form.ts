// The one form parser of the interaction pages: urlencoded bodies up to a limit in bytes,
// gzip/deflate/br decoded by the parser. A body that does not decode (garbage under
// Content-Encoding: gzip) is bad input, a 400 page, not the 500 a zlib error would become.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { BridgeError } from '../errors.ts';

/**
 * The form limit for a page with a password field, in bytes: 256 KiB, or room for the
 * longest password allowed when that is more (N bytes are at most 3N percent-encoded, and
 * the other fields fit in 16 KiB). Far above the password maximum, so that an over-long
 * password gets the page that says so; far below what would cost the server to read.
 */
export function passwordFormLimit(maxPasswordBytes: number): number {
  return Math.max(256 * 1024, maxPasswordBytes * 3 + 16 * 1024);
}

export function formParser(limitBytes: number): Middleware {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: limitBytes, encoding: 'utf-8' });
  return async (ctx, next) => {
    try {
      await parse(ctx, async () => {});
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500 && status !== 400) throw err;
      throw new BridgeError(
        'form_unreadable',
        'The form could not be read: its body does not match its Content-Type or Content-Encoding.',
        400,
      );
    }
    await next();
  };
}
