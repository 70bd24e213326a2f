import type { CacheConfig } from "./types";

/**
 * Defaults that work out of the box; the Worker overrides them from its env
 * (`CACHE_TTL_SECONDS`, `NEGATIVE_TTL_SECONDS`, `LOCK_TTL_SECONDS`, `STALE_TTL_SECONDS`, `REDIS_TIMEOUT_MS`).
 */
export const defaultCacheConfig: Readonly<CacheConfig> = Object.freeze({
  ttlSeconds: 300,
  staleSeconds: 60,
  negativeTtlSeconds: 30,
  lockTtlSeconds: 5,
  redisTimeoutMs: 150,
  maxRedisCallsPerGet: 10,
});
