/**
 * The services a request (or a Cron run) uses, built in ONE place from the validated
 * configuration. Handlers and jobs read them and never construct clients themselves; the HTTP
 * layer puts them on the context (`http/middleware/services.ts`).
 *
 * @module
 */
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import {
  type BackgroundContext,
  type CacheAside,
  type CacheConfig,
  createCacheAside,
  sharedBreaker,
} from "lease-cache";
import { upstashClientOptions, upstashPort } from "lease-cache/upstash";
import { createDb, type Db } from "./db/client";
import type { Config } from "./env";
import { type ReadLog, slidingReadLog } from "./http/absent-read-log";
import { type AbsentReadBudget, absentReadBudget } from "./http/absent-reads";
import { type UserTokenVerifier, userTokenVerifier } from "./http/auth/user-tokens";
import { replayRecentInvalidations } from "./invalidation/replay";
import { retentionSecondsOf } from "./invalidation/retention";
import { describeError, type Logger } from "./log";
import { type ResourceKeys, resourceKeys } from "./resource-keys";

/** What handlers and jobs use. */
export type Services = {
  db: Db;
  /** The read replica (`DATABASE_REPLICA_URL`), when configured. */
  dbReplica?: Db;
  cache: CacheAside;
  redis: Redis;
  ratelimit: Ratelimit;
  keys: ResourceKeys;
  background: BackgroundContext;
  /** Log lines of this request or job (each carries its request id or job name). */
  logger: Logger;
  /** Per-client budget of reads that reach Postgres and find nothing (API.md rule 7). */
  absentReads: AbsentReadBudget;
  /** Verifies user tokens; `undefined` when `JWT_JWKS_URL` is unset (user tokens are refused). */
  userTokens: UserTokenVerifier | undefined;
};

// Identifiers over their limit are refused in-isolate without a Redis call; only useful when the
// map outlives one request, hence module scope.
const ratelimitBlockList = new Map<string, number>();

/** The cache's settings from the Worker configuration. */
export function cacheConfigOf(config: Config): Partial<CacheConfig> {
  return {
    ttlSeconds: config.CACHE_TTL_SECONDS,
    staleSeconds: config.STALE_TTL_SECONDS,
    negativeTtlSeconds: config.NEGATIVE_TTL_SECONDS,
    lockTtlSeconds: config.LOCK_TTL_SECONDS,
    redisTimeoutMs: config.REDIS_TIMEOUT_MS,
  };
}

/**
 * An Upstash client of the configuration, set up for the cache's failure policy. With
 * `readYourWrites` it tracks the read-your-writes position of the one request it is built for
 * (`READ_CONSISTENCY=nearest`); without, it holds no state between calls and can serve every
 * request of an isolate.
 */
export function redisOf(config: Config, readYourWrites: boolean): Redis {
  return new Redis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    ...upstashClientOptions({ timeoutMs: config.REDIS_TIMEOUT_MS, readYourWrites }),
  });
}

function dbOf(config: Config, url: string): Db {
  return createDb({ url, localProxy: config.NEON_LOCAL_PROXY, timeoutMs: config.DB_TIMEOUT_MS });
}

/** `make()` on the first call, its result on every later one. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/** What every request of an isolate shares: nothing in it holds per-request state or I/O. */
type IsolateParts = {
  keys: ResourceKeys;
  cacheConfig: Partial<CacheConfig>;
  /** A client without a read-your-writes position. */
  redis: Redis;
  ratelimit: () => Ratelimit;
  absentReadLog: ReadLog;
};

// Keyed by the validated configuration, which `parseEnv` returns once per env object (isolate).
const isolatePartsByConfig = new WeakMap<Config, IsolateParts>();

/** The isolate's shared parts for `config`, built on first use. */
function isolatePartsOf(config: Config): IsolateParts {
  const known = isolatePartsByConfig.get(config);
  if (known !== undefined) {
    return known;
  }
  const redis = redisOf(config, false);
  const parts: IsolateParts = {
    keys: resourceKeys(config.CACHE_KEY_PREFIX),
    cacheConfig: cacheConfigOf(config),
    redis,
    ratelimit: once(
      () =>
        new Ratelimit({
          redis,
          limiter: Ratelimit.slidingWindow(
            config.RATE_LIMIT_WRITES,
            `${config.RATE_LIMIT_WINDOW_SECONDS} s`,
          ),
          prefix: `${config.CACHE_KEY_PREFIX}:ratelimit:writes`,
          timeout: config.RATE_LIMIT_TIMEOUT_MS,
          ephemeralCache: ratelimitBlockList,
          analytics: false,
        }),
    ),
    // At the primary even with READ_CONSISTENCY=nearest: the log is written by every count.
    absentReadLog: slidingReadLog({
      redis: upstashPort(redis),
      prefix: `${config.CACHE_KEY_PREFIX}:absent-budget`,
      limit: config.ABSENT_READS_PER_MINUTE,
      timeoutMs: config.RATE_LIMIT_TIMEOUT_MS,
    }),
  };
  isolatePartsByConfig.set(config, parts);
  return parts;
}

/**
 * Builds the services for one request (or one Cron run). No I/O happens here. The Postgres
 * clients, the rate limiters and the token verifier are built on first use: a cache hit needs
 * none of them, and building them took a third of a hit's CPU in the Worker. The key builders,
 * the rate limiters and (with `READ_CONSISTENCY=strong`) the Upstash client are built once per
 * isolate: per request they cost two thirds of this function's time (23 → 7 µs in Node), which
 * a stampede pays once per arriving request.
 */
export function buildServices(
  config: Config,
  background: BackgroundContext,
  logger: Logger,
): Services {
  const shared = isolatePartsOf(config);
  const { keys, ratelimit, absentReadLog } = shared;
  // A nearest read's client carries the request's own read-your-writes position.
  const redis = config.READ_CONSISTENCY === "nearest" ? redisOf(config, true) : shared.redis;
  const db = once(() => dbOf(config, config.DATABASE_URL));
  const cache: CacheAside = createCacheAside({
    redis: upstashPort(redis),
    config: shared.cacheConfig,
    background,
    readConsistency: config.READ_CONSISTENCY,
    watermarkKey: keys.watermark,
    breakerName: config.UPSTASH_REDIS_REST_URL,
    // Redis lost data or came back with older data: replay now rather than at the next Cron run.
    onRegression: (regression) => {
      logger.log("warn", "redis went back in time; replaying recent invalidations", regression);
      background.waitUntil(
        replayRecentInvalidations(db(), cache, retentionSecondsOf(config)).catch((err: unknown) =>
          logger.log("warn", "replay failed", { error: describeError(err) }),
        ),
      );
    },
  });
  const absentReads = absentReadBudget({
    log: absentReadLog,
    // The cache's own breaker: while it is open, Redis is unusable and the budget not enforced.
    breaker: sharedBreaker(config.UPSTASH_REDIS_REST_URL),
    logger,
  });
  const userTokens = once(() => userTokensOf(config));
  const services: Services = {
    get db() {
      return db();
    },
    cache,
    redis,
    get ratelimit() {
      return ratelimit();
    },
    absentReads,
    keys,
    background,
    logger,
    get userTokens() {
      return userTokens();
    },
  };
  const replicaUrl = config.DATABASE_REPLICA_URL;
  if (replicaUrl !== undefined) {
    const dbReplica = once(() => dbOf(config, replicaUrl));
    Object.defineProperty(services, "dbReplica", { get: dbReplica, enumerable: true });
  }
  return services;
}

/** The user-token verifier of the configuration (env validation requires all three settings). */
function userTokensOf(config: Config): UserTokenVerifier | undefined {
  const { JWT_JWKS_URL: jwksUrl, JWT_ISSUER: issuer, JWT_AUDIENCE: audience } = config;
  if (jwksUrl === undefined || issuer === undefined || audience === undefined) {
    return undefined;
  }
  return userTokenVerifier({ jwksUrl, issuer, audience });
}
