/**
 * Cache-aside with leases. In short (the package README has the whole story):
 * - a read is one Redis round trip (`readOrLease`): a hit answers, a miss takes the fill lock with a
 *   random token in the same call;
 * - the lock holder loads and fills through `fill`, a compare-and-set on its token, off the critical
 *   path; a writer's `invalidate` deletes keys *and* locks after its commit, so a load that began
 *   before the write can never land after it;
 * - others poll with a bounded, jittered schedule, then load directly (once per isolate and lock);
 * - any Redis trouble answers from the loader and fills nothing (`failure-policy.ts`).
 */
import type { CircuitBreaker } from "./circuit-breaker.js";
import { Coalescer } from "./coalescer.js";
import { resolveConfig } from "./config.js";
import { DirectLoads } from "./direct-loads.js";
import { RedisGuard, sharedBreaker } from "./failure-policy.js";
import { type EntryRef, lockKeyOf } from "./keys.js";
import { readThrough } from "./read-path.js";
import { parseIntegerReply } from "./read-reply.js";
import type { RedisPort } from "./redis-port.js";
import { INVALIDATE } from "./scripts.js";
import type {
  BackgroundContext,
  CacheConfig,
  CacheResult,
  InvalidationTarget,
  Loaded,
} from "./types.js";

/** A cache over one Redis, as an application uses it. */
export type CacheAside = {
  /**
   * Read-through. `load` returns `{ found: false }` for an absent row, which is cached as a miss for
   * `negativeTtlSeconds`. If `load` throws (the database is down), the error propagates to the
   * caller, except on a stale hit, which is answered from the cache.
   *
   * @example
   * const { loaded, outcome } = await cache.get({ key: keys.key("product", id) }, async () => {
   *   const row = await db.findProduct(id);
   *   return row === undefined ? { found: false } : { found: true, value: row };
   * });
   */
  get<T>(entry: EntryRef, load: () => Promise<Loaded<T>>): Promise<CacheResult<T>>;
  /**
   * Call after the write committed. Deletes `keys` with their locks and bumps the `groups`'
   * generations in one Redis call, which voids every lease taken before it. Rejects with
   * `RedisUnavailableError` when that could not be applied (Redis down, slow or failing, circuit
   * open): keep the invalidation (an outbox row) and retry it until it succeeds.
   *
   * @example
   * await db.updateProduct(id, patch); // committed
   * await cache.invalidate({ keys: [keys.key("product", id)], groups: [keys.group("pages")] });
   */
  invalidate(target: InvalidationTarget): Promise<void>;
};

/** Options of {@link createCacheAside}. */
export type CacheAsideOptions = {
  /** The Redis to use, through an adapter (`lease-cache/upstash`, `/ioredis`, `/node-redis`). */
  redis: RedisPort;
  /** Overrides of {@link defaultCacheConfig}. @default {} */
  config?: Partial<CacheConfig>;
  /**
   * Keeps background work (fills, refreshes, lock releases) alive after the response: pass the
   * Workers `ExecutionContext`. @default none: the work runs detached, which is right for a Node
   * server
   */
  background?: BackgroundContext;
  /** The circuit breaker. @default the isolate-wide breaker named by `breakerName` */
  breaker?: CircuitBreaker;
  /** Names the isolate-wide breaker (use the Redis URL). @default "redis" */
  breakerName?: string;
};

/** Seams for tests (the `lease-cache/testing` harness sets them); never needed in production. */
export type CacheAsideInternals = {
  /** Isolate-wide coalescing state. @default one shared by every cache of this isolate */
  coalescer?: Coalescer<CacheResult<unknown>>;
  /** Isolate-wide record of direct loads. @default one shared by every cache of this isolate */
  directLoads?: DirectLoads;
  /** @default Date.now */
  now?: () => number;
  /** @default a timer */
  sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
  /** Lock tokens. @default crypto.randomUUID */
  newToken?: () => string;
};

const isolateCoalescer = new Coalescer<CacheResult<unknown>>();
const isolateDirectLoads = new DirectLoads();

/** Background work nobody waits for: errors are already handled where the work is defined. */
const detached: BackgroundContext = {
  waitUntil: (promise) => {
    promise.catch(() => {});
  },
};

/**
 * Builds a cache. Cheap enough to call per request: all isolate-wide state (coalescing, circuit
 * breaker) is shared. Throws a `RangeError` for a nonsensical `config`.
 *
 * @example
 * import { createCacheAside, keyspace } from "lease-cache";
 * import { upstashPort } from "lease-cache/upstash";
 *
 * const cache = createCacheAside({ redis: upstashPort(redis), background: ctx });
 */
export function createCacheAside(
  options: CacheAsideOptions,
  internals: CacheAsideInternals = {},
): CacheAside {
  const config = resolveConfig(options.config);
  const background = options.background ?? detached;
  const now = internals.now ?? Date.now;
  const guard = new RedisGuard(
    options.redis,
    options.breaker ?? sharedBreaker(options.breakerName ?? "redis"),
    config.redisTimeoutMs,
  );
  const coalescer = internals.coalescer ?? isolateCoalescer;
  const readDeps = {
    guard,
    config,
    background,
    directLoads: internals.directLoads ?? isolateDirectLoads,
    now,
    sleep: internals.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: internals.random ?? Math.random,
    newToken: internals.newToken ?? (() => crypto.randomUUID()),
  };

  return {
    async get<T>(entry: EntryRef, load: () => Promise<Loaded<T>>): Promise<CacheResult<T>> {
      const startedAt = now();
      const joined = await coalescer.join(
        entry.key,
        config.lockTtlSeconds * 1000,
        (done) => readThrough(readDeps, entry, load, done),
        (promise) => background.waitUntil(promise),
      );
      // Cached values are JSON written by this code for this key, so they have the loader's type.
      const result = joined.result as CacheResult<T>;
      if (joined.role === "leader") {
        return result;
      }
      return {
        loaded: result.loaded,
        outcome: {
          status: "coalesced",
          sharedStatus: result.outcome.status === "coalesced" ? undefined : result.outcome.status,
          redisCalls: 0,
          cacheMs: now() - startedAt,
        },
      };
    },

    async invalidate(target): Promise<void> {
      // @mutation-point invalidate.entry
      const keys = target.keys.flatMap((key) => [key, lockKeyOf(key)]);
      const groups = target.groups ?? [];
      if (keys.length === 0 && groups.length === 0) {
        return;
      }
      await guard.run(
        INVALIDATE,
        [...keys, ...groups],
        [String(groups.length)],
        { calls: 0 },
        parseIntegerReply,
      );
    },
  };
}
