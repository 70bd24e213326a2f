/**
 * `lease-cache`: cache-aside over Redis that never serves what a write replaced. Reads take a
 * lease with the lookup, fills are compare-and-set on it, writers invalidate keys and leases in
 * one call, stampedes load once, and Redis trouble falls back to the loader.
 *
 * @example
 * import { createCacheAside, keyspace } from "lease-cache";
 * import { ioredisPort } from "lease-cache/ioredis";
 *
 * const keys = keyspace("shop");
 * const cache = createCacheAside({ redis: ioredisPort(redis) });
 * const { loaded } = await cache.get({ key: keys.key("product", id) }, () => loadProduct(id));
 *
 * @module
 */
export {
  type CacheAside,
  type CacheAsideOptions,
  createCacheAside,
} from "./cache-aside.js";
export {
  BREAKER_FAILURE_THRESHOLD,
  BREAKER_OPEN_MS,
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
} from "./circuit-breaker.js";
export { defaultCacheConfig } from "./config.js";
export { type RedisFailureReason, RedisUnavailableError, sharedBreaker } from "./failure-policy.js";
export { type EntryRef, type Keyspace, keyspace } from "./keys.js";
export type { RedisPort } from "./redis-port.js";
export type {
  BackgroundContext,
  CacheConfig,
  CacheOutcome,
  CacheResult,
  CacheStatus,
  GetOptions,
  InvalidationReport,
  InvalidationTarget,
  LoadContext,
  Loaded,
  LoadedMeta,
  Regression,
  WrittenEntry,
} from "./types.js";
