// Redaction at any depth, for pino's `formatters.log`. pino's redact paths are fixed patterns
// (`password`, `*.password`, `*.*.password`), so a secret one level deeper, or inside an
// array, passes through them; this walks the whole object instead.
export const CENSOR = '[redacted]';

/** Field names whose value is a secret wherever they appear (compared in lower case). */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'new_password',
  'passwd',
  'hash',
  'password_hash',
  'passwordhash',
  'stored',
  'salt',
  'secret',
  'client_secret',
  'clientsecret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'cookie',
  'set-cookie',
  'authorization',
  'private_key',
  'privatekey',
  'key_encryption_key',
  'material',
  'pepper',
]);

/** Names that say what they hold even when nobody listed them: targetPassword, x-api-token. */
const SECRET_PARTS = /password|passwd|secret|token|cookie|authorization|private_?key/i;

/** Numbers, booleans and the like under a secret-sounding name (token_count) stay readable. */
export function isSecretField(name: string, value: unknown): boolean {
  if (SECRET_FIELDS.has(name.toLowerCase())) return true;
  return (
    SECRET_PARTS.test(name) && (typeof value === 'string' || (typeof value === 'object' && value !== null))
  );
}

const MAX_DEPTH = 32;

/**
 * A copy of `value` with every secret field replaced by the censor, at any depth, in arrays
 * and in errors. Objects with nothing to redact are returned as they are, so pino's own
 * serializers (err, req, res) still see the originals.
 */
export function redactDeep<T>(value: T, censor: string = CENSOR): T {
  const seen = new WeakSet<object>();
  function walk(v: unknown, depth: number): unknown {
    if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return v;
    if (v instanceof Date || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
    if (seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((x) => {
        const y = walk(x, depth + 1);
        if (y !== x) changed = true;
        return y;
      });
      return changed ? out : v;
    }
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (isSecretField(k, x)) {
        out[k] = censor;
        changed = true;
        continue;
      }
      const y = walk(x, depth + 1);
      if (y !== x) changed = true;
      out[k] = y;
    }
    if (!changed) return v;
    if (v instanceof Error) {
      // Still an error to pino's err serializer (type, message and stack are not enumerable).
      const copy = Object.create(Object.getPrototypeOf(v)) as Error;
      Object.defineProperties(copy, {
        message: { value: v.message, enumerable: false },
        stack: { value: v.stack, enumerable: false },
      });
      return Object.assign(copy, out);
    }
    return out;
  }
  return walk(value, 0) as T;
}
