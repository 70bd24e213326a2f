/**
 * Drizzle schema: the source of truth for `npm run db:generate` (drizzle-kit writes the SQL in
 * `migrations/`) and for every query in `src/db/`.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { PRODUCT_ID_PATTERN } from "./product-id";

/** Timestamps are `timestamptz` with millisecond precision, so they survive a JSON round trip exactly. */
const createdAt = () =>
  timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow();

/**
 * Products. `id` is chosen by the client (validated by the HTTP layer before any query); `version`
 * starts at 1 and is incremented by the same statement that changes the row (the ETag).
 */
export const products = pgTable(
  "products",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    priceCents: integer("price_cents").notNull(),
    currency: text("currency").notNull().default("USD"),
    stock: integer("stock").notNull().default(0),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    // The database enforces the contract's ranges too, so a row written behind the API's back
    // cannot break the response schema.
    check("products_id_format", sql`${t.id} ~ ${sql.raw(`'${PRODUCT_ID_PATTERN.source}'`)}`),
    check("products_price_range", sql`${t.priceCents} BETWEEN 0 AND 1000000000`),
    check("products_stock_range", sql`${t.stock} BETWEEN 0 AND 1000000000`),
    check("products_currency_format", sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check("products_version_positive", sql`${t.version} >= 1`),
  ],
);

/** Reviews of a product; deleting the product deletes its reviews. */
export const reviews = pgTable(
  "reviews",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    productId: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    rating: smallint("rating").notNull(),
    author: text("author").notNull(),
    /** The `sub` of the user token that posted it; `null` when posted with the service token. */
    authorId: text("author_id"),
    body: text("body").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // Serves both the newest-first review list and the per-product rating aggregate.
    index("reviews_product_created_idx").on(t.productId, t.createdAt.desc()),
    check("reviews_rating_range", sql`${t.rating} BETWEEN 1 AND 5`),
  ],
);

/**
 * The revision of every product id ever written through the API: a counter each write of the
 * product (its row, its reviews, its deletion) raises in its own transaction, and which outlives
 * the product, so a product deleted and created again keeps counting up. Every write takes this
 * row's lock first, so one product's writes commit in revision order; the cache uses revisions as
 * fences (a state is never stored over a newer one). Ids never written through the API (rows
 * inserted behind its back) have revision 0.
 */
export const productRevisions = pgTable("product_revisions", {
  productId: text("product_id").primaryKey(),
  rev: bigint("rev", { mode: "number" }).notNull(),
});

/**
 * Durable invalidation: each write inserts the cache keys and groups it must invalidate, and the
 * revision it produced, in the same transaction. `applied_at` is set once Redis confirmed the
 * invalidation; rows not applied yet are retried by the Cron drain. Applied rows are kept for the
 * cache's lifetime of an entry (TTL + stale window) so they can be replayed when Redis loses data
 * or comes back with older data, then pruned.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    keys: text("keys").array().notNull(),
    groups: text("groups").array().notNull().default(sql`'{}'::text[]`),
    /** The revision the write produced for `keys`; null: the keys are not versioned. */
    rev: bigint("rev", { mode: "number" }),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
    appliedAt: timestamp("applied_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [index("outbox_created_idx").on(t.createdAt), index("outbox_applied_idx").on(t.appliedAt)],
);

/** A product row as Drizzle returns it. */
export type ProductRow = typeof products.$inferSelect;
/** A review row as Drizzle returns it. */
export type ReviewRow = typeof reviews.$inferSelect;
/** An outbox row as Drizzle returns it. */
export type OutboxRow = typeof outbox.$inferSelect;
