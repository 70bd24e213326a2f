/**
 * A `@epic-web/cachified` cache over `@upstash/redis`. cachified ships no Upstash adapter; its README
 * lists `cachified-redis-adapter` (for node-redis), whose whole code is: `set` stores the entry with
 * an absolute expiry of `createdTime + totalTtl(metadata)` (`EXAT`, none when the TTL is infinite),
 * `get` returns the entry or `null`, `delete` deletes the key. This is the same three operations
 * for the Upstash client, which (de)serializes JSON itself.
 */
import { type Cache, type CacheEntry, totalTtl } from "@epic-web/cachified";
import type { Redis } from "@upstash/redis/cloudflare";

/** The adapter. Keep one per isolate: cachified's in-flight deduplication is keyed by it. */
export function upstashCacheAdapter(redis: Redis): Cache {
  return {
    name: "Upstash",
    async set(key, entry) {
      const ttl = totalTtl(entry?.metadata);
      const created = entry?.metadata?.createdTime;
      if (ttl > 0 && ttl < Number.POSITIVE_INFINITY && typeof created === "number") {
        await redis.set(key, entry, { exat: Math.ceil((ttl + created) / 1000) });
        return;
      }
      await redis.set(key, entry);
    },
    get: (key) => redis.get<CacheEntry>(key),
    async delete(key) {
      await redis.del(key);
    },
  };
}
