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
    check("products_id_format", sql`${t.id} ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'`),
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
 * Durable invalidation: each write inserts the cache keys and groups it must invalidate in the same
 * transaction; the row is deleted once Redis confirmed the invalidation. Rows still present were not
 * (yet) applied and are retried by the Cron drain.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    keys: text("keys").array().notNull(),
    groups: text("groups").array().notNull().default(sql`'{}'::text[]`),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index("outbox_created_idx").on(t.createdAt)],
);

/** A product row as Drizzle returns it. */
export type ProductRow = typeof products.$inferSelect;
/** A review row as Drizzle returns it. */
export type ReviewRow = typeof reviews.$inferSelect;
/** An outbox row as Drizzle returns it. */
export type OutboxRow = typeof outbox.$inferSelect;
