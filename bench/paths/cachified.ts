/**
 * `@epic-web/cachified` as its README sets it up for a shared cache: one adapter per isolate (over
 * a default `@upstash/redis/cloudflare` client, `peers/cachified-upstash-adapter.ts`), `ttl` and
 * `staleWhileRevalidate` from the Worker's settings, `waitUntil` for background refreshes. Writes:
 * `UPDATE`, then delete the key (the README's "fully purge"). Its stampede protection is the
 * in-flight deduplication of one process (here: one isolate).
 */
import { type Cache, cachified } from "@epic-web/cachified";
import { Redis } from "@upstash/redis/cloudflare";
import type { Product } from "../../src/db/models";
import type { Config } from "../../src/env";
import { upstashCacheAdapter } from "../peers/cachified-upstash-adapter";
import { type BenchPathImpl, hooked, stateOf } from "./path";
import { dbOf, loadProduct, plainWrite } from "./plain-db";

const adapters = new Map<string, Cache>();

/** The isolate's adapter for this Redis (created on first use). */
function cacheOf(config: Config): Cache {
  const existing = adapters.get(config.UPSTASH_REDIS_REST_URL);
  if (existing !== undefined) {
    return existing;
  }
  const redis = new Redis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
  });
  const cache = upstashCacheAdapter(redis);
  adapters.set(config.UPSTASH_REDIS_REST_URL, cache);
  return cache;
}

const keyOf = (config: Config, id: string) => `${config.CACHE_KEY_PREFIX}:cachified:product:${id}`;

/** See the module comment. */
export const cachifiedPath: BenchPathImpl = {
  async read({ config, background }, id, hooks) {
    const db = dbOf(config);
    let loaded = false;
    const load = hooked(() => loadProduct(db, id), hooks);
    const value = await cachified<Product | null>({
      key: keyOf(config, id),
      cache: cacheOf(config),
      ttl: config.CACHE_TTL_SECONDS * 1000,
      staleWhileRevalidate: config.STALE_TTL_SECONDS * 1000,
      waitUntil: (promise) => background.waitUntil(promise),
      async getFreshValue() {
        loaded = true;
        return load();
      },
    });
    return { status: loaded ? "loaded" : "cached", product: stateOf(value) };
  },
  async write({ config }, id, change) {
    const written = await plainWrite(dbOf(config), id, change);
    await cacheOf(config).delete(keyOf(config, id));
    return written;
  },
};
