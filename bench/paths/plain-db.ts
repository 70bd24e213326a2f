/**
 * The Postgres side of the paths that are not the project's API (no cache, the naive recipe, the
 * peer libraries): the API's own read query, and the plain write such an application would make
 * (`UPDATE … RETURNING`, no revision, no outbox) before its cache's invalidation.
 */
import { eq, sql } from "drizzle-orm";
import { createDb, type Db } from "../../src/db/client";
import type { Product } from "../../src/db/models";
import { findProduct } from "../../src/db/products";
import { products } from "../../src/db/schema";
import type { Config } from "../../src/env";
import type { ProductState, WriteChange } from "./path";

/** The primary, as the API builds it. */
export function dbOf(config: Config): Db {
  return createDb({
    url: config.DATABASE_URL,
    localProxy: config.NEON_LOCAL_PROXY,
    timeoutMs: config.DB_TIMEOUT_MS,
  });
}

/** The API's product query (`findProduct`): the product or `null`. */
export async function loadProduct(db: Db, id: string): Promise<Product | null> {
  return (await findProduct(db, id)).value ?? null;
}

/** One `UPDATE … SET version = version + 1[, stock = $n] RETURNING version, stock`. */
export async function plainWrite(
  db: Db,
  id: string,
  change: WriteChange,
): Promise<ProductState | null> {
  const rows = await db
    .update(products)
    .set({
      ...(change.stock === undefined ? {} : { stock: change.stock }),
      version: sql`${products.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(products.id, id))
    .returning({ version: products.version, stock: products.stock });
  return rows[0] ?? null;
}
