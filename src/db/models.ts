/**
 * The JSON shapes the queries return: plain objects with ISO-8601 timestamps, ready to be cached
 * (the cache stores JSON) and sent as response bodies. The HTTP layer's zod response schemas are
 * checked against these types at compile time (`src/http/schemas.ts`).
 *
 * @module
 */

/** Aggregate over a product's reviews; `average` is `null` without reviews, else rounded to 2 decimals. */
export type Rating = { count: number; average: number | null };

/** A product as the API returns it. */
export type Product = {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  version: number;
  rating: Rating;
  createdAt: string;
  updatedAt: string;
};

/** A review as the API returns it. */
export type Review = {
  id: string;
  productId: string;
  rating: number;
  author: string;
  /** The `sub` of the user who posted it; `null` when the service token posted it. */
  authorId: string | null;
  body: string;
  createdAt: string;
};

/** The writable fields of a product, complete (what `PUT` stores; defaults already applied). */
export type ProductInput = {
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
};

/** A partial update of a product (`PATCH`); at least one field is present. */
export type ProductPatch = Partial<ProductInput>;

/** The writable fields of a review. */
export type ReviewInput = { rating: number; author: string; body: string };

/**
 * An `If-Match` precondition already parsed: `"any"` for `*`, otherwise the versions it lists
 * (possibly none, when it listed only weak or foreign ETags, which never match).
 */
export type VersionCondition = "any" | readonly number[];

/** The cache entries a write must invalidate: value keys and group (generation) keys. */
export type InvalidationTarget = { keys: string[]; groups: string[] };

/** The outcome of a conditional write. */
export type WriteResult<T> =
  | { kind: "ok"; value: T; outboxId: number; rev: number }
  | { kind: "not_found" }
  | { kind: "precondition_failed" };
