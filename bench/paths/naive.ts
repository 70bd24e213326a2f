/** The seed recipe (`bench/naive-cache.ts`) over the API's query; writes `UPDATE` then `DEL`. */
import type { Config } from "../../src/env";
import { createNaiveCache } from "../naive-cache";
import { type BenchPathImpl, hooked, stateOf } from "./path";
import { dbOf, loadProduct, plainWrite } from "./plain-db";

/** The naive path's key of product `id`: its own namespace, so it never reads another path's entries. */
export function naiveProductKey(prefix: string, id: string): string {
  return `${prefix}:naive:product:${id}`;
}

function naiveKey(config: Config, id: string): string {
  return naiveProductKey(config.CACHE_KEY_PREFIX, id);
}

function naiveCache(config: Config) {
  return createNaiveCache({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    negativeTtlSeconds: config.NEGATIVE_TTL_SECONDS,
  });
}

/** See the module comment. */
export const naivePath: BenchPathImpl = {
  async read({ config }, id, hooks) {
    const db = dbOf(config);
    const result = await naiveCache(config).get(
      naiveKey(config, id),
      hooked(() => loadProduct(db, id), hooks),
    );
    return { status: result.status, product: stateOf(result.value) };
  },
  async write({ config }, id, change) {
    const written = await plainWrite(dbOf(config), id, change);
    await naiveCache(config).invalidate(naiveKey(config, id));
    return written;
  },
};
