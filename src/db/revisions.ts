/**
 * Product revisions (`product_revisions`, see the schema): the first statement of every write of a
 * product raises its revision, which also takes the row lock that orders that product's writes.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { productRevisions } from "./schema";

/** A state read together with its revision (in one statement, so one snapshot). */
export type Revisioned<T> = { value: T; rev: number };

/**
 * `INSERT … ON CONFLICT DO UPDATE SET rev = rev + 1`: raises (or starts at 1) the revision of
 * `productId` and locks its row until the transaction ends. The first statement of every write, so
 * concurrent writes of one product always take their locks in the same order.
 */
export function bumpRevision(db: Db, productId: string) {
  return db
    .insert(productRevisions)
    .values({ productId, rev: 1 })
    .onConflictDoUpdate({
      target: productRevisions.productId,
      set: { rev: sql`${productRevisions.rev} + 1` },
    })
    .returning({ rev: productRevisions.rev });
}

/** The revision of the product whose id is `productId` (an SQL expression), 0 when never written. */
export function revisionOf(productId: SQL): SQL<number> {
  return sql<number>`coalesce((SELECT ${sql.identifier(productRevisions.rev.name)} FROM ${productRevisions} WHERE ${sql.identifier(productRevisions.productId.name)} = ${productId}), 0)::bigint`;
}
