/**
 * The cache entries of this API's resources, built from validated ids only (the HTTP layer rejects
 * anything else with `400 invalid_id` before it gets here).
 *
 * @module
 */
import { type EntryRef, keyspace } from "lease-cache";
import type { InvalidationTarget } from "./db/models";

/** Cache entries of one deployment (one key prefix). */
export type ResourceKeys = {
  /** A product with its rating. */
  product(id: string): EntryRef;
  /** A product's review list. */
  reviews(id: string): EntryRef;
  /** A page of `GET /products`; pages share one group so a write invalidates all of them at once. */
  page(limit: number, afterId: string | undefined): EntryRef;
  /** Everything a write to product `id` (or a new review of it) must invalidate. */
  invalidationFor(id: string): InvalidationTarget;
};

/** Key builders for `prefix` (`CACHE_KEY_PREFIX`). */
export function resourceKeys(prefix: string): ResourceKeys {
  const ks = keyspace(prefix);
  const pagesGroup = ks.group("product-pages");
  return {
    product: (id) => ({ key: ks.key("product", id) }),
    reviews: (id) => ({ key: ks.key("reviews", id) }),
    // "^" cannot occur in an id, so the first page cannot collide with a page after some id.
    page: (limit, afterId) => ({
      key: ks.key("products-page", String(limit), afterId ?? "^"),
      group: pagesGroup,
    }),
    invalidationFor: (id) => ({
      keys: [ks.key("product", id), ks.key("reviews", id)],
      groups: [pagesGroup],
    }),
  };
}
