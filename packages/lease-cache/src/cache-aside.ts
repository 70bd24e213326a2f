/**
 * Cache-aside with leases and revisions. In short (the package README has the whole story):
 * - a read is one Redis round trip (`readOrLease`): a hit answers, a miss takes the fill lock with a
 *   random token in the same call;
 * - the lock holder loads and fills through `fill`, a compare-and-set on its token fenced by the
 *   stored revision, off the critical path; a writer's `invalidate` deletes the locks after its
 *   commit (so a load that began before the write can never land after it) and stores the write's
 *   own state where Redis holds nothing newer (so the next reads hit);
 * - others poll with a bounded, jittered schedule, then load directly (once per isolate and lock);
 * - any Redis trouble answers from the loader and fills nothing (`failure-policy.ts`).
 */
import type { CircuitBreaker } from "./circuit-breaker.js";
import { Coalescer } from "./coalescer.js";
import { resolveConfig } from "./config.js";
import { DirectLoads } from "./direct-loads.js";
import { encodeEntry, encodeTombstone } from "./envelope.js";
import { RedisGuard, sharedBreaker } from "./failure-policy.js";
import { FillTimes } from "./fill-times.js";
import { DEFAULT_WATERMARK_KEY, type EntryRef, lockKeyOf, revisionKeyOf } from "./keys.js";
import { type Loader, type ReadPathDeps, readThrough } from "./read-path.js";
import { parseInvalidateReply } from "./read-reply.js";
import type { RedisPort } from "./redis-port.js";
import { INVALIDATE, InvalidateMode } from "./scripts.js";
import type {
  BackgroundContext,
  CacheConfig,
  CacheResult,
  GetOptions,
  InvalidationReport,
  InvalidationTarget,
  LoadContext,
  Loaded,
  Regression,
  WrittenEntry,
} from "./types.js";
import { WarmKeys } from "./warm-keys.js";
import { sharedWatermarkWatch, type WatermarkWatch } from "./watermark.js";

/** A cache over one Redis, as an application uses it. */
export type CacheAside = {
  /**
   * Read-through. `load` returns `{ found: false }` for an absent row, which is cached as a miss for
   * `negativeTtlSeconds`; a versioned loader also returns the state's `rev` (and `source:
   * "replica"` when it read a replica, which it may do when `ctx.minRev` is defined and the
   * replica has reached it). If `load` throws (the database is down), the error propagates to the
   * caller, except on a stale hit, which is answered from the cache.
   *
   * @example
   * const { loaded, outcome } = await cache.get({ key: keys.key("product", id) }, async () => {
   *   const row = await db.findProduct(id);
   *   return row === undefined ? { found: false } : { found: true, value: row, rev: row.rev };
   * });
   */
  get<T>(
    entry: EntryRef,
    load: (ctx: LoadContext) => Promise<Loaded<T>>,
    options?: GetOptions,
  ): Promise<CacheResult<T>>;
  /**
   * Call after the write committed, before answering it. In one Redis call: deletes the locks of
   * every entry (voiding leases taken before), deletes unversioned `keys`, stores each written
   * entry's new state (or a tombstone) unless Redis holds a newer revision, gives each group a new
   * generation, and raises the watermark to `writeId`. Rejects with `RedisUnavailableError` when
   * that could not be applied (Redis down, slow or failing, circuit open): keep the invalidation
   * (an outbox row) and retry it until it succeeds.
   *
   * With `{ replay: true }` it re-applies an invalidation that was applied before, after Redis may
   * have lost data or come back with older data: only entries older than the write become
   * tombstones; nothing newer is touched.
   *
   * @example
   * const row = await db.updateProduct(id, patch); // committed, RETURNING the row and its rev
   * await cache.invalidate({
   *   entries: [{ key: keys.key("product", id), rev: row.rev, loaded: { found: true, value: row } }],
   *   groups: [keys.group("pages")],
   *   writeId: row.outboxId,
   * });
   */
  invalidate(
    target: InvalidationTarget,
    options?: { replay?: boolean },
  ): Promise<InvalidationReport>;
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
  /**
   * Where hits are read. `strong`: at the primary, in the same call that takes a lease on a miss.
   * `nearest`: first a read-only call a read region may answer (one round trip to the nearest
   * region); only a miss goes to the primary. A read without `minRev`/`syncToken` may then miss a
   * write for as long as the region lags. @default "strong"
   */
  readConsistency?: "strong" | "nearest";
  /** The watermark key (`keyspace(prefix).watermark()`). @default "lease-cache:watermark" */
  watermarkKey?: string;
  /**
   * Called (at most every 5 s per isolate) when Redis answers a lower watermark than this isolate
   * saw: it lost data or came back with older data. Replay the recent writes' invalidations
   * (`invalidate(target, { replay: true })`). @default none
   */
  onRegression?: (regression: Regression) => void;
  /** The circuit breaker. @default the isolate-wide breaker named by `breakerName` */
  breaker?: CircuitBreaker;
  /** Names the isolate-wide breaker and watermark watch (use the Redis URL). @default "redis" */
  breakerName?: string;
};

/** Seams for tests (the `lease-cache/testing` harness sets them); never needed in production. */
export type CacheAsideInternals = {
  /** Isolate-wide coalescing state. @default one shared by every cache of this isolate */
  coalescer?: Coalescer<CacheResult<unknown>>;
  /** Isolate-wide record of direct loads. @default one shared by every cache of this isolate */
  directLoads?: DirectLoads;
  /** Isolate-wide record of keys found fresh. @default one shared by every cache of this isolate */
  warmKeys?: WarmKeys;
  /** Isolate-wide record of how long waits for fills lasted. @default one shared by every cache of this isolate */
  fillTimes?: FillTimes;
  /** Isolate-wide watermark watch. @default the one named by `breakerName` */
  watermark?: WatermarkWatch;
  /** @default Date.now */
  now?: () => number;
  /** @default a timer */
  sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
  /** Lock tokens and group generations. @default crypto.randomUUID */
  newToken?: () => string;
};

const isolateCoalescer = new Coalescer<CacheResult<unknown>>();
const isolateDirectLoads = new DirectLoads();
const isolateWarmKeys = new WarmKeys();
const isolateFillTimes = new FillTimes();

/** Background work nobody waits for: errors are already handled where the work is defined. */
const detached: BackgroundContext = {
  waitUntil: (promise) => {
    promise.catch(() => {});
  },
};

/** How long a key found fresh counts as warm, in ms (short: a later miss cools it anyway). */
const WARM_FOR_MS = 1_000;

/**
 * Builds a cache. Cheap enough to call per request: all isolate-wide state (coalescing, circuit
 * breaker, watermark watch) is shared. Throws a `RangeError` for a nonsensical `config`.
 *
 * @example
 * import { createCacheAside, keyspace } from "lease-cache";
 * import { upstashPort } from "lease-cache/upstash";
 *
 * const keys = keyspace("shop");
 * const cache = createCacheAside({
 *   redis: upstashPort(redis),
 *   background: ctx,
 *   watermarkKey: keys.watermark(),
 * });
 */
export function createCacheAside(options: CacheAsideOptions): CacheAside {
  return createCacheAsideWith(options, {});
}

/** {@link createCacheAside} with test seams; internal to the package (the testing harness uses it). */
export function createCacheAsideWith(
  options: CacheAsideOptions,
  internals: CacheAsideInternals,
): CacheAside {
  const config = resolveConfig(options.config);
  const background = options.background ?? detached;
  const now = internals.now ?? Date.now;
  const name = options.breakerName ?? "redis";
  const guard = new RedisGuard(
    options.redis,
    options.breaker ?? sharedBreaker(name),
    config.redisTimeoutMs,
  );
  const watermark = internals.watermark ?? sharedWatermarkWatch(name);
  const coalescer = internals.coalescer ?? isolateCoalescer;
  const warmKeys = internals.warmKeys ?? isolateWarmKeys;
  const newToken = internals.newToken ?? (() => crypto.randomUUID());
  const watermarkKey = options.watermarkKey ?? DEFAULT_WATERMARK_KEY;
  const readDeps: ReadPathDeps = {
    guard,
    port: options.redis,
    config,
    background,
    directLoads: internals.directLoads ?? isolateDirectLoads,
    fillTimes: internals.fillTimes ?? isolateFillTimes,
    watermarkKey,
    watermark,
    onRegression: options.onRegression,
    readConsistency: options.readConsistency ?? "strong",
    now,
    sleep: internals.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: internals.random ?? Math.random,
    newToken,
  };

  /** A read of its own: one round trip for a hit, its own lease on a miss. */
  const readAlone = async (entry: EntryRef, load: Loader, getOptions: GetOptions) => {
    const result = await readThrough(readDeps, entry, load, getOptions, () => {});
    markTemperature(entry.key, result);
    return result;
  };

  const markTemperature = (key: string, result: CacheResult<unknown>) => {
    if (result.outcome.status === "hit") {
      warmKeys.warm(key, WARM_FOR_MS);
    } else {
      warmKeys.cool(key);
    }
  };

  return {
    async get<T>(
      entry: EntryRef,
      load: (ctx: LoadContext) => Promise<Loaded<T>>,
      getOptions: GetOptions = {},
    ): Promise<CacheResult<T>> {
      const startedAt = now();
      // Cached values are JSON written by this code for this key, so they have the loader's type.
      const typed = (result: CacheResult<unknown>) => result as CacheResult<T>;
      // A bookmarked read must not share a result that another reader's state satisfied.
      const personal = getOptions.minRev !== undefined || getOptions.syncToken !== undefined;
      if (personal) {
        return typed(await readAlone(entry, load, getOptions));
      }
      const release = warmKeys.claimAlone(entry.key);
      if (release !== undefined) {
        try {
          return typed(await readAlone(entry, load, getOptions));
        } finally {
          release();
        }
      }
      const joined = await coalescer.join(
        entry.key,
        config.lockTtlSeconds * 1000,
        (done) => readThrough(readDeps, entry, load, {}, done),
        (promise) => background.waitUntil(promise),
      );
      const result = joined.result;
      if (joined.role === "leader") {
        markTemperature(entry.key, result);
        return typed(result);
      }
      return typed({
        loaded: result.loaded,
        outcome: {
          status: "coalesced",
          sharedStatus: result.outcome.status === "coalesced" ? undefined : result.outcome.status,
          redisCalls: 0,
          cacheMs: now() - startedAt,
        },
      });
    },

    async invalidate(target, invalidateOptions = {}): Promise<InvalidationReport> {
      // @mutation-point invalidate.entry
      const replay = invalidateOptions.replay === true;
      const entries = [
        ...(target.keys ?? []).map((key) => ({ key, rev: "", state: "", ttlMs: "0" })),
        ...(target.entries ?? []).map((written) => encodeWritten(written, replay)),
      ];
      const groups = target.groups ?? [];
      if (entries.length === 0 && groups.length === 0 && target.writeId === undefined) {
        return { changed: 0 };
      }
      for (const { key } of entries) {
        warmKeys.cool(key);
      }
      const knownAtSend = watermark.known;
      const reply = await guard.run(
        INVALIDATE,
        [
          ...entries.flatMap(({ key }) => [key, lockKeyOf(key), revisionKeyOf(key)]),
          ...groups,
          watermarkKey,
        ],
        [
          String(entries.length),
          String(groups.length),
          target.writeId === undefined ? "" : String(target.writeId),
          replay ? InvalidateMode.replay : InvalidateMode.write,
          ...entries.flatMap(({ rev, state, ttlMs }) => [rev, state, ttlMs]),
          ...groups.map(() => newToken()),
        ],
        { calls: 0 },
        parseInvalidateReply,
        // Tried even while the circuit is open: refusing it would keep what the write replaced.
        "essential",
      );
      watermark.observe(reply.previousWatermark, knownAtSend, options.onRegression);
      if (target.writeId !== undefined) {
        // Redis now holds at least this write's id: a later read that finds less lost it.
        watermark.raise(target.writeId);
      }
      const syncToken = options.redis.syncToken?.get();
      return { changed: reply.changed, ...(syncToken === undefined ? {} : { syncToken }) };
    },
  };

  /** A written entry as the invalidate script takes it: revision, state to store, its TTL. */
  function encodeWritten(written: WrittenEntry, replay: boolean) {
    const rev = String(written.rev);
    const loaded = replay ? undefined : written.loaded;
    const liveMs = (config.ttlSeconds + config.staleSeconds) * 1000;
    if (loaded === undefined) {
      return {
        key: written.key,
        rev,
        state: encodeTombstone(written.rev, now()),
        ttlMs: String(liveMs),
      };
    }
    const staleMs = loaded.found ? config.staleSeconds * 1000 : 0;
    const state = encodeEntry(
      {
        filledAt: now(),
        loaded: loaded.found ? { found: true, value: loaded.value } : { found: false },
        rev: written.rev,
      },
      { generation: "0", staleWindowMs: staleMs },
    );
    const ttlMs = loaded.found ? liveMs : config.negativeTtlSeconds * 1000;
    return { key: written.key, rev, state, ttlMs: String(ttlMs) };
  }
}
