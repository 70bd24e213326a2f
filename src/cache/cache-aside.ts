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
import { decodeEntry, encodeEntry } from "./envelope";
import { RedisGuard, RedisUnavailableError, sharedBreaker } from "./failure-policy";
import { type EntryRef, lockKeyOf } from "./keys";
import { parseReadReply, type ReadReply } from "./read-reply";
import type { RedisPort } from "./redis-port";
import type { CallCounter } from "./run-script";
import { DROP_AND_LEASE, FILL, INVALIDATE, READ_OR_LEASE, RELEASE, ReadCode } from "./scripts";
import type {
  BackgroundContext,
  CacheConfig,
  CacheOutcome,
  CacheResult,
  CacheStatus,
  Loaded,
} from "./types";
import { waitSchedule } from "./wait-schedule";

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
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const newToken = deps.newToken ?? (() => crypto.randomUUID());
  const guard = new RedisGuard(
    redis,
    deps.breaker ?? sharedBreaker(deps.breakerName ?? "redis"),
    config.redisTimeoutMs,
  );
  const coalescer = deps.coalescer ?? isolateCoalescer;
  const directLoads = deps.directLoads ?? isolateDirectLoads;
  const lockTtlMs = config.lockTtlSeconds * 1000;

  /** Everything one request does for one entry when it leads its batch. */
  async function readThrough(
    entry: EntryRef,
    load: () => Promise<Loaded<unknown>>,
    done: () => void,
  ): Promise<CacheResult<unknown>> {
    const started = now();
    const counter: CallCounter = { calls: 0 };
    const token = newToken();
    const keys =
      entry.group === undefined
        ? [entry.key, lockKeyOf(entry.key)]
        : [entry.key, lockKeyOf(entry.key), entry.group];
    let loadMs: number | undefined;

    const outcome = (status: CacheStatus, extra: Partial<CacheOutcome> = {}): CacheOutcome => ({
      status,
      redisCalls: counter.calls,
      cacheMs: Math.max(0, now() - started - (loadMs ?? 0)),
      ...(loadMs === undefined ? {} : { loadMs }),
      ...extra,
    });
    const timedLoad = async (): Promise<Loaded<unknown>> => {
      const t = now();
      try {
        return await load();
      } finally {
        loadMs = (loadMs ?? 0) + (now() - t);
      }
    };
    const bypass = async (): Promise<CacheResult<unknown>> => {
      done();
      const loaded = await timedLoad();
      return { loaded, outcome: outcome("bypass") };
    };
    /** Loads under our lease and fills in the background. */
    const loadAndFill = async (
      reply: ReadReply,
      status: CacheStatus,
    ): Promise<CacheResult<unknown>> => {
      let loaded: Loaded<unknown>;
      try {
        loaded = await timedLoad();
      } catch (err: unknown) {
        background.waitUntil(releaseQuietly(keys, token).finally(done));
        throw err;
      }
      background.waitUntil(fill(keys, token, reply.generation, loaded).finally(done));
      return { loaded, outcome: outcome(status) };
    };
    /** Answers a stored entry; `undefined` when it does not decode. */
    const answer = (reply: ReadReply, status: CacheStatus): CacheResult<unknown> | undefined => {
      const decoded = decodeEntry(reply.raw);
      if (decoded === undefined) {
        return undefined;
      }
      if (reply.code === ReadCode.staleRefresh) {
        // Refresh in the background under the lock we just took; the caller is answered now.
        background.waitUntil(
          timedLoad()
            .then((loaded) => fill(keys, token, reply.generation, loaded))
            .catch(() => releaseQuietly(keys, token))
            .finally(done),
        );
      } else {
        done();
      }
      const isStale = reply.code === ReadCode.stale || reply.code === ReadCode.staleRefresh;
      return {
        loaded: decoded.loaded,
        outcome: outcome(isStale ? "stale" : status, {
          ageMs: Math.max(0, now() - decoded.filledAt),
        }),
      };
    };

    try {
      let reply = parseReadReply(
        await guard.run(READ_OR_LEASE, keys, [token, String(config.lockTtlSeconds)], counter),
      );
      let polled = false;
      const delays = waitSchedule({
        // Keep one call for the fill we may still have to make.
        maxPolls: Math.max(0, config.maxRedisCallsPerGet - 2),
        deadlineMs: Math.min(800, lockTtlMs / 2),
        random,
      });
      for (;;) {
        if (reply.code === ReadCode.leased) {
          return await loadAndFill(reply, "miss");
        }
        if (reply.code !== ReadCode.locked) {
          const answered = answer(reply, polled ? "waited" : "hit");
          if (answered !== undefined) {
            return answered;
          }
          // Corrupt or foreign entry: drop it (only if unchanged) and try to take its lock.
          const dropped = await guard.run(
            DROP_AND_LEASE,
            keys.slice(0, 2),
            [reply.raw, token, String(config.lockTtlSeconds)],
            counter,
          );
          reply = { ...parseReadReply(dropped), generation: reply.generation };
          continue;
        }
        const delay = delays.shift();
        if (delay === undefined || counter.calls + 2 > config.maxRedisCallsPerGet) {
          break;
        }
        await sleep(delay);
        polled = true;
        reply = parseReadReply(
          await guard.run(READ_OR_LEASE, keys, [token, String(config.lockTtlSeconds)], counter),
        );
      }
      // The holder is slow or gone: load directly, once per isolate and lock.
      done();
      const shared = directLoads.loadOnce(
        entry.key,
        `${reply.holder}|${reply.generation}`,
        lockTtlMs,
        timedLoad,
      );
      const loaded = await shared.promise;
      return { loaded, outcome: outcome(shared.owner ? "miss" : "waited") };
    } catch (err: unknown) {
      if (err instanceof RedisUnavailableError) {
        return await bypass();
      }
      throw err;
    }
  }

  async function fill(
    keys: string[],
    token: string,
    generation: string,
    loaded: Loaded<unknown>,
  ): Promise<void> {
    const stale = loaded.found ? config.staleSeconds * 1000 : 0;
    const ttl = loaded.found ? config.ttlSeconds * 1000 + stale : config.negativeTtlSeconds * 1000;
    const encoded = encodeEntry({ filledAt: now(), loaded }, generation, stale);
    try {
      await guard.run(FILL, keys, [token, encoded, String(ttl), generation], { calls: 0 });
    } catch {
      // A fill that cannot be written leaves the key empty; the lock expires by its TTL.
    }
  }

  async function releaseQuietly(keys: string[], token: string): Promise<void> {
    try {
      await guard.run(RELEASE, [lockKeyOf(keys[0] ?? "")], [token], { calls: 0 });
    } catch {
      // The lock expires by its TTL.
    }
  }

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
      await guard.run(INVALIDATE, [...keys, ...groups], [String(groups.length)], { calls: 0 });
    },
  };
}
