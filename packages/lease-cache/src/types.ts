/**
 * Public types of the cache. Nothing in this package depends on an HTTP framework, a database or a
 * concrete Redis client: only on the {@link RedisPort} of `./redis-port.ts`.
 */

/** Timings and tunables of the cache. Every field has a working default (`defaultCacheConfig`). */
export type CacheConfig = {
  /** How long a cached value is fresh, in seconds. @default 300 */
  ttlSeconds: number;
  /** How long after the fresh period a value may still be served while it is refreshed. @default 60 */
  staleSeconds: number;
  /** How long a cached "absent" result lives, in seconds. @default 30 */
  negativeTtlSeconds: number;
  /** Lifetime of a fill lock, in seconds. @default 5 */
  lockTtlSeconds: number;
  /** Timeout of every Redis call, in ms. @default 150 */
  redisTimeoutMs: number;
  /** Most Redis calls one `get` may make, waiting included. @default 10 */
  maxRedisCallsPerGet: number;
};

/** What a loader found: a value, or a definite "absent" (which is cached as a miss). */
export type Loaded<T> = { found: true; value: T } | { found: false };

/**
 * How a `get` was answered:
 * - `hit`: a fresh entry from Redis;
 * - `stale`: an entry past its fresh period, answered at once while one refresh runs in the background;
 * - `miss`: this request ran the loader (and filled Redis if it still held the lease);
 * - `waited`: another request was loading; this one polled until the value appeared;
 * - `coalesced`: another request in the same isolate was already doing the work; this one shared it;
 * - `bypass`: Redis was unusable (error, timeout or circuit open); answered by the loader, nothing filled.
 */
export type CacheStatus = "hit" | "stale" | "miss" | "waited" | "coalesced" | "bypass";

/** The report every `get` returns alongside its value. */
export type CacheOutcome = {
  status: CacheStatus;
  /** For `coalesced`: the status of the request whose work was shared. */
  sharedStatus?: Exclude<CacheStatus, "coalesced">;
  /** Redis calls made on this request's critical path. */
  redisCalls: number;
  /** Time spent in Redis calls and waiting, in ms. */
  cacheMs: number;
  /** Time spent in the loader, in ms (absent when the loader did not run for this request). */
  loadMs?: number;
  /** Age of the served entry in ms, when it came from Redis. */
  ageMs?: number;
};

/** A value (or absence) plus how it was obtained. */
export type CacheResult<T> = { loaded: Loaded<T>; outcome: CacheOutcome };

/** The one thing the cache needs from the Workers runtime: extend the request's lifetime. */
export type BackgroundContext = { waitUntil(promise: Promise<unknown>): void };

/**
 * What a write invalidates: value keys (deleted with their fill locks) and groups (whose
 * generation moves on, voiding every entry of the group at once).
 */
export type InvalidationTarget = { keys: readonly string[]; groups?: readonly string[] };
