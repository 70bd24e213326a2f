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
  /**
   * Lifetime of a versioned entry's revision marker, in seconds: how long after a fill a miss can
   * still load from a database replica (the marker fences it); past it, or once the marker is lost,
   * misses load from the primary. @default 86400
   */
  revisionTtlSeconds: number;
};

/**
 * Where a loaded state came from and how new it is. Optional: an entry loaded without `rev` is
 * not versioned (it is protected by its lease and its group generation only).
 */
export type LoadedMeta = {
  /**
   * Revision of the loaded state: a number that every write of the underlying data raises, read
   * in the same query as the data (for example a per-row counter bumped by each write in its
   * transaction). The cache never stores a state older than one it holds or than the reader's
   * `minRev`.
   */
  rev?: number;
  /** `replica` when the state came from a read replica (kept only when a stored revision proves it recent). @default "primary" */
  source?: "primary" | "replica";
};

/** What a loader found: a value, or a definite "absent" (which is cached as a miss). */
export type Loaded<T> = ({ found: true; value: T } | { found: false }) & LoadedMeta;

/**
 * What the cache tells a loader. A versioned loader that can read a replica should do so only
 * when `minRev` is defined and the replica's state has at least that revision; otherwise (or
 * when the replica is behind) it reads the primary.
 */
export type LoadContext = {
  /**
   * The lowest revision that is known to include every write acknowledged before this read:
   * the revision Redis holds for the entry (or its tombstone), raised to the reader's `minRev`.
   * `undefined` when Redis holds nothing for the entry: then only the primary is known to be
   * recent enough.
   */
  minRev: number | undefined;
};

/** Per-read options of `CacheAside.get`. */
export type GetOptions = {
  /**
   * The lowest revision this read accepts (from a bookmark: read-your-writes across requests).
   * An entry with an older revision is a miss. @default none
   */
  minRev?: number;
  /**
   * A Redis read-your-writes position (an Upstash sync token from a bookmark): a read region
   * answers this read only once it has replayed that far. @default none
   */
  syncToken?: string;
};

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

/** A versioned entry a write changed, with the revision the write produced. */
export type WrittenEntry = {
  key: string;
  /** The revision the write produced (read back in the write's transaction, e.g. `RETURNING`). */
  rev: number;
  /**
   * The state the write produced, when the writer has it: stored at once (the next reads hit)
   * unless Redis holds something newer. Without it the entry becomes a tombstone (a miss that
   * remembers `rev`). @default a tombstone
   */
  loaded?: Loaded<unknown>;
};

/**
 * What a write invalidates, applied in one Redis call after the write committed:
 * - `keys`: unversioned entries, deleted with their fill locks;
 * - `entries`: versioned entries, replaced by the write's state (or a tombstone) unless Redis
 *   holds a newer revision, their locks deleted; an entry Redis does not hold is left absent;
 * - `groups`: each gets a new random generation, voiding every entry of the group at once;
 * - `writeId`: a strictly increasing id of the write (an outbox row id), kept as the watermark:
 *   a read that finds a lower one learns that Redis went back in time (`onRegression`).
 */
export type InvalidationTarget = {
  keys?: readonly string[];
  entries?: readonly WrittenEntry[];
  groups?: readonly string[];
  writeId?: number;
};

/** What `invalidate` reports. */
export type InvalidationReport = {
  /** Entries replaced, tombstoned or deleted. */
  changed: number;
  /** The client's read-your-writes position after the call (Upstash sync token), when the port tracks one. */
  syncToken?: string;
};

/** A watermark lower than one this isolate saw: Redis lost data or came back with older data. */
export type Regression = {
  /** What Redis answered (`undefined`: no watermark at all). */
  observed: number | undefined;
  /** The highest watermark this isolate saw before. */
  known: number;
};
