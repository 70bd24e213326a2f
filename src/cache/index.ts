/** The cache core's public surface. */
export { type CacheAside, type CacheAsideDeps, createCacheAside } from "./cache-aside";
export { CircuitBreaker } from "./circuit-breaker";
export { defaultCacheConfig } from "./config";
export { RedisUnavailableError } from "./failure-policy";
export { type EntryRef, type Keyspace, keyspace, lockKeyOf } from "./keys";
export type { RedisPort } from "./redis-port";
export type {
  BackgroundContext,
  CacheConfig,
  CacheOutcome,
  CacheResult,
  CacheStatus,
  Loaded,
} from "./types";
