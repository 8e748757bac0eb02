// A small, bounded in-process cache with a time to live, for hot reads that may be a few
// seconds stale (client metadata, account claims on the userinfo path). Only hits are
// cached: a record created a moment ago is found at once.

export interface TtlCache<V> {
  get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined>;
  /** A value just read or written elsewhere, as fresh as a load. */
  set(key: string, value: V): void;
  delete(key: string): void;
  clear(): void;
}

export function createTtlCache<V>(ttlMs: number, maxEntries = 10_000): TtlCache<V> {
  const entries = new Map<string, { value: V; until: number }>();
  const put = (key: string, value: V, now: number) => {
    if (ttlMs <= 0) return;
    // Map keeps insertion order: the first key is the oldest.
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    entries.set(key, { value, until: now + ttlMs });
  };
  return {
    async get(key, load) {
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && hit.until > now) return hit.value;
      if (hit) entries.delete(key);
      const value = await load();
      if (value !== undefined) put(key, value, now);
      return value;
    },
    set(key, value) {
      entries.delete(key);
      put(key, value, Date.now());
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
  };
}
