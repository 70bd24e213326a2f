/**
 * The seed recipe, implemented literally as it is usually written (see `docs/cache-design.md`,
 * "The recipe we started from"), so the bench can compare against it:
 *
 * - a default `@upstash/redis/cloudflare` client (`new Redis({ url, token })`: automatic
 *   deserialization, auto-pipelining, 5 retries, no timeout);
 * - `GET key`: anything non-null is a hit;
 * - on a miss, `SET key:lock 1 NX EX 5`; the winner loads, `SET key <value> EX ttl` (an absent row
 *   is stored as `null`, which the client reads back as `null`, i.e. as another miss), then
 *   `DEL key:lock`;
 * - losers sleep 200 ms and try again, recursively;
 * - writers `DEL key`.
 *
 * The only addition: the recursion stops after {@link NAIVE_MAX_TRIES} tries (the recipe has no
 * bound), and the request then fails with {@link NaiveGaveUpError}, so a lock that is never released
 * shows up as errors instead of hanging the bench.
 */
import { Redis } from "@upstash/redis/cloudflare";

/** Bench-only cap on the recipe's unbounded retry recursion. */
export const NAIVE_MAX_TRIES = 25;

/** How the recipe answered: `hit` first try, `miss` this request loaded, `waited` a retry hit. */
export type NaiveStatus = "hit" | "miss" | "waited";

/** A naive read's answer. `value` is `null` for an absent row. */
export type NaiveResult<T> = { value: T | null; status: NaiveStatus; tries: number };

/** Thrown when a loser has retried {@link NAIVE_MAX_TRIES} times without seeing a value. */
export class NaiveGaveUpError extends Error {
  constructor(key: string) {
    super(`naive cache gave up on ${key} after ${NAIVE_MAX_TRIES} tries`);
    this.name = "NaiveGaveUpError";
  }
}

/** What {@link createNaiveCache} needs. */
export type NaiveCacheOptions = {
  url: string;
  token: string;
  /** TTL of a cached value, in seconds. */
  ttlSeconds: number;
  /** TTL of a cached `null`, in seconds. */
  negativeTtlSeconds: number;
};

/** The naive cache for one request. */
export type NaiveCache = {
  get<T>(key: string, load: () => Promise<T | null>): Promise<NaiveResult<T>>;
  invalidate(key: string): Promise<void>;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Builds the recipe over a default Upstash client (one client per request, as Workers code does). */
export function createNaiveCache(options: NaiveCacheOptions): NaiveCache {
  const redis = new Redis({ url: options.url, token: options.token });

  async function get<T>(
    key: string,
    load: () => Promise<T | null>,
    tries = 1,
  ): Promise<NaiveResult<T>> {
    const cached = await redis.get<T>(key);
    if (cached !== null) {
      return { value: cached, status: tries === 1 ? "hit" : "waited", tries };
    }
    const lockKey = `${key}:lock`;
    const locked = await redis.set(lockKey, 1, { nx: true, ex: 5 });
    if (locked === "OK") {
      const value = await load();
      await redis.set(key, value, {
        ex: value === null ? options.negativeTtlSeconds : options.ttlSeconds,
      });
      await redis.del(lockKey);
      return { value, status: "miss", tries };
    }
    if (tries >= NAIVE_MAX_TRIES) {
      throw new NaiveGaveUpError(key);
    }
    await sleep(200);
    return get(key, load, tries + 1);
  }

  return {
    get: (key, load) => get(key, load),
    async invalidate(key) {
      await redis.del(key);
    },
  };
}
