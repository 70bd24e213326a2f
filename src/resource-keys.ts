/**
 * The cache entries of this API's resources, built from validated ids only (the HTTP layer rejects
 * anything else with `400 invalid_id` before it gets here), and what each kind of write does to them.
 *
 * Products and review lists are versioned by the product's revision (a review changes both the
 * list and the product's rating); pages are unversioned members of one group.
 *
 * @module
 */
import {
  type EntryRef,
  type InvalidationTarget,
  keyspace,
  type Loaded,
  type WrittenEntry,
} from "lease-cache";
import type { InvalidationTarget as OutboxTarget, Product } from "./db/models";

/** A committed write of product `id`, with the revision it produced and the state it left. */
export type ProductWrite =
  | { kind: "saved"; id: string; rev: number; product: Product; created: boolean }
  | { kind: "deleted"; id: string; rev: number }
  | { kind: "reviewed"; id: string; rev: number; product: Product };

/** Cache entries of one deployment (one key prefix). */
export type ResourceKeys = {
  /** A product with its rating. */
  product(id: string): EntryRef;
  /** A product's review list. */
  reviews(id: string): EntryRef;
  /** A page of `GET /products`; pages share one group so a write invalidates all of them at once. */
  page(limit: number, afterId: string | undefined): EntryRef;
  /** The highest outbox id applied (see lease-cache's watermark). */
  watermark: string;
  /** What the outbox records for any write of product `id` (all it could touch). */
  outboxTarget(id: string): OutboxTarget;
  /**
   * What a write does to the cache: the product entry gets the written state at once (the next
   * reads hit); the review list a tombstone when a review changed it, the absence when the product
   * went away or an empty list's tombstone when it was created; every page is voided.
   */
  effectsOf(write: ProductWrite, outboxId: number): InvalidationTarget;
};

/** Key builders for `prefix` (`CACHE_KEY_PREFIX`). */
export function resourceKeys(prefix: string): ResourceKeys {
  const ks = keyspace(prefix);
  const pagesGroup = ks.group("product-pages");
  const productKey = (id: string) => ks.key("product", id);
  const reviewsKey = (id: string) => ks.key("reviews", id);
  const absent: Loaded<unknown> = { found: false };

  const entriesOf = (write: ProductWrite): WrittenEntry[] => {
    const { id, rev } = write;
    switch (write.kind) {
      case "saved":
        return [
          { key: productKey(id), rev, loaded: { found: true, value: write.product } },
          // A replaced product's reviews did not change; a created one's list is new.
          ...(write.created ? [{ key: reviewsKey(id), rev }] : []),
        ];
      case "deleted":
        return [
          { key: productKey(id), rev, loaded: absent },
          { key: reviewsKey(id), rev, loaded: absent },
        ];
      case "reviewed":
        return [
          { key: productKey(id), rev, loaded: { found: true, value: write.product } },
          { key: reviewsKey(id), rev },
        ];
    }
  };

  return {
    product: (id) => ({ key: productKey(id) }),
    reviews: (id) => ({ key: reviewsKey(id) }),
    // "^" cannot occur in an id, so the first page cannot collide with a page after some id.
    page: (limit, afterId) => ({
      key: ks.key("products-page", String(limit), afterId ?? "^"),
      group: pagesGroup,
    }),
    watermark: ks.watermark(),
    outboxTarget: (id) => ({ keys: [productKey(id), reviewsKey(id)], groups: [pagesGroup] }),
    effectsOf: (write, outboxId) => ({
      entries: entriesOf(write),
      groups: [pagesGroup],
      writeId: outboxId,
    }),
  };
}
