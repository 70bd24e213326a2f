/**
 * Cache-aside with leases. See README "Cache design" for the whole story; in short:
 * - a read is one Redis round trip (`readOrLease`): a hit answers, a miss takes the fill lock with a
 *   random token in the same call;
 * - the lock holder loads and fills through `fill`, a compare-and-set on its token, off the critical
 *   path; a writer's `invalidate` deletes keys *and* locks after its commit, so a load that began
 *   before the write can never land after it;
 * - others poll with a bounded, jittered schedule, then load directly (once per isolate and lock);
 * - any Redis trouble answers from the loader and fills nothing (`failure-policy.ts`).
 */
import type { CircuitBreaker } from "./circuit-breaker";
import { Coalescer } from "./coalescer";
import { DirectLoads } from "./direct-loads";
import { RedisGuard, sharedBreaker } from "./failure-policy";
import { type EntryRef, lockKeyOf } from "./keys";
import { createReadPath } from "./read-path";
import { parseIntegerReply } from "./read-reply";
import type { RedisPort } from "./redis-port";
import { INVALIDATE } from "./scripts";
import type { BackgroundContext, CacheConfig, CacheResult, Loaded } from "./types";

/** The cache as the HTTP layer sees it. */
export type CacheAside = {
  /**
   * Read-through. `load` returns `{ found: false }` for an absent row, which is cached as a miss for
   * `negativeTtlSeconds`. If `load` throws (Postgres down), the error propagates to the caller,
   * except on a stale hit, which is answered from the cache.
   */
  get<T>(entry: EntryRef, load: () => Promise<Loaded<T>>): Promise<CacheResult<T>>;
  /**
   * Deletes `keys` with their locks and bumps the `groups`' generations in one Redis call. Rejects
   * when that could not be applied (Redis down, slow or failing, circuit open): the caller keeps the
   * invalidation in its outbox and retries.
   */
  invalidate(target: { keys: readonly string[]; groups?: readonly string[] }): Promise<void>;
};

/** What {@link createCacheAside} needs. */
export type CacheAsideDeps = {
  redis: RedisPort;
  config: CacheConfig;
  background: BackgroundContext;
  /** @default the isolate-wide breaker named by `breakerName` */
  breaker?: CircuitBreaker;
  /** Names the isolate-wide breaker (use the Redis URL). @default "redis" */
  breakerName?: string;
  /** Isolate-wide coalescing state. @default one shared by every cache of this isolate */
  coalescer?: Coalescer<CacheResult<unknown>>;
  /** Isolate-wide record of direct loads. @default one shared by every cache of this isolate */
  directLoads?: DirectLoads;
  /** @default Date.now */
  now?: () => number;
  /** @default setTimeout-based sleep */
  sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
  /** Lock tokens. @default crypto.randomUUID */
  newToken?: () => string;
};

const isolateCoalescer = new Coalescer<CacheResult<unknown>>();
const isolateDirectLoads = new DirectLoads();

/** Builds the cache for one request. Cheap: all isolate-wide state is shared. */
export function createCacheAside(deps: CacheAsideDeps): CacheAside {
  const { redis, config, background } = deps;
  const now = deps.now ?? Date.now;
  const guard = new RedisGuard(
    redis,
    deps.breaker ?? sharedBreaker(deps.breakerName ?? "redis"),
    config.redisTimeoutMs,
  );
  const coalescer = deps.coalescer ?? isolateCoalescer;
  const lockTtlMs = config.lockTtlSeconds * 1000;

  const { readThrough } = createReadPath({
    guard,
    config,
    background,
    directLoads: deps.directLoads ?? isolateDirectLoads,
    now,
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: deps.random ?? Math.random,
    newToken: deps.newToken ?? (() => crypto.randomUUID()),
  });

  return {
    async get<T>(entry: EntryRef, load: () => Promise<Loaded<T>>): Promise<CacheResult<T>> {
      const started = now();
      const joined = await coalescer.join(
        entry.key,
        lockTtlMs,
        (done) => readThrough(entry, load, done),
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
          cacheMs: now() - started,
        },
      };
    },

    async invalidate(target): Promise<void> {
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
