/**
 * Product queries. Reads are one statement each (the rating is a correlated aggregate over the
 * review index, the revision a correlated lookup), so a state and its revision come from one
 * snapshot; writes are one `db.batch` each (one HTTP round trip, one transaction) that first raises
 * the product's revision (taking its lock), then writes and records the write's invalidation in the
 * outbox.
 *
 * @module
 */
import { and, asc, eq, getTableName, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import type {
  InvalidationTarget,
  Product,
  ProductInput,
  ProductPatch,
  VersionCondition,
  WriteResult,
} from "./models";
import { insertOutboxRow, insertOutboxRowIf } from "./outbox";
import { bumpRevision, type Revisioned, revisionOf } from "./revisions";
import { products, reviews } from "./schema";

/**
 * `"products"."id"` spelled out: Drizzle renders columns of single-table queries unqualified, which
 * inside the correlated subqueries below would bind to the reviews table instead.
 */
const productIdRef = sql`${sql.identifier(getTableName(products))}.${sql.identifier(products.id.name)}`;
/** The reviews of the outer product row, aliased so nothing in the subquery is ambiguous. */
const reviewsOfProduct = sql`${reviews} AS r WHERE r.${sql.identifier(reviews.productId.name)} = ${productIdRef}`;
const ratingColumn = sql`r.${sql.identifier(reviews.rating.name)}`;

/** The product columns plus its rating, usable in SELECT and in RETURNING. */
const productColumns = {
  id: products.id,
  name: products.name,
  description: products.description,
  priceCents: products.priceCents,
  currency: products.currency,
  stock: products.stock,
  version: products.version,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
  ratingCount: sql<number>`(SELECT count(*)::int FROM ${reviewsOfProduct})`,
  // numeric → text keeps the 2-decimal rounding exact; parsed to a number in toProduct.
  ratingAverage: sql<
    string | null
  >`(SELECT round(avg(${ratingColumn}), 2)::text FROM ${reviewsOfProduct})`,
  rev: revisionOf(productIdRef),
};

/** A product row with its rating and revision, as `productColumns` selects it. */
export type ProductRecord = {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  ratingCount: number;
  ratingAverage: string | null;
  rev: number | string;
};

function toProduct(r: ProductRecord): Product {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    priceCents: r.priceCents,
    currency: r.currency,
    stock: r.stock,
    version: r.version,
    rating: {
      count: Number(r.ratingCount),
      average: r.ratingAverage === null ? null : Number(r.ratingAverage),
    },
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/**
 * One product with its rating, or `undefined` when absent, and its revision (0 when never written
 * through the API), from one statement: `SELECT … FROM (SELECT $id) LEFT JOIN products`, so the
 * revision of an absent product comes from the same snapshot as its absence.
 */
export async function findProduct(db: Db, id: string): Promise<Revisioned<Product | undefined>> {
  const wanted = sql`(SELECT ${id}::text AS ${sql.identifier("wanted_id")}) AS ${sql.identifier("wanted")}`;
  const [row] = await db
    .select({
      ...productColumns,
      rev: revisionOf(sql`${sql.identifier("wanted")}.${sql.identifier("wanted_id")}`),
    })
    .from(wanted)
    .leftJoin(products, eq(products.id, id));
  const rev = Number(row?.rev ?? 0);
  if (row === undefined || row.id === null) {
    return { value: undefined, rev };
  }
  return { value: toProduct(row as ProductRecord), rev };
}

/** `SELECT <product columns> WHERE id = $id`, for batches that read a product back. */
export function selectProduct(db: Db, id: string) {
  return db.select(productColumns).from(products).where(eq(products.id, id));
}

/** A product row with its revision, as the queries above return it. */
export function productState(row: ProductRecord): { product: Product; rev: number } {
  return { product: toProduct(row), rev: Number(row.rev) };
}

/** A page of products ordered by id, strictly after `afterId`; `hasMore` when another page follows. */
export async function listProducts(
  db: Db,
  page: { afterId?: string; limit: number },
): Promise<{ items: Product[]; hasMore: boolean }> {
  const rows = await db
    .select(productColumns)
    .from(products)
    .where(page.afterId === undefined ? undefined : gt(products.id, page.afterId))
    .orderBy(asc(products.id))
    // One extra row tells whether a next page exists without a count query.
    .limit(page.limit + 1);
  return { items: rows.slice(0, page.limit).map(toProduct), hasMore: rows.length > page.limit };
}

/** `id = $id` plus the `If-Match` condition, if any. */
function matchCondition(id: string, condition: VersionCondition | undefined): SQL {
  const byId = eq(products.id, id);
  if (condition === undefined || condition === "any") {
    return byId;
  }
  return condition.length === 0
    ? sql`false`
    : (and(byId, inArray(products.version, [...condition])) ?? byId);
}

/** `SELECT … FOR UPDATE`: the first statement of a conditional write (see {@link guardedWrite}). */
function lockProduct(db: Db, id: string) {
  return db
    .select({ version: products.version })
    .from(products)
    .where(eq(products.id, id))
    .for("update");
}

/** `EXISTS (SELECT 1 FROM products WHERE <condition>)` for the conditional outbox insert. */
function existsWhere(condition: SQL): SQL {
  return sql`EXISTS (SELECT 1 FROM ${products} WHERE ${condition})`;
}

/**
 * Interprets a conditional write batch: the write's returned row wins; otherwise the lock told
 * whether the product exists (404) or the precondition failed (412).
 */
function guardedResult<T>(
  locked: readonly unknown[],
  written: readonly T[],
  outboxRows: readonly { id: string | number; rev: string | number | null }[],
): WriteResult<T> {
  const value = written[0];
  const outboxRow = outboxRows[0];
  if (value !== undefined && outboxRow !== undefined) {
    return { kind: "ok", value, outboxId: Number(outboxRow.id), rev: Number(outboxRow.rev) };
  }
  return locked.length === 0 ? { kind: "not_found" } : { kind: "precondition_failed" };
}

/** The revision of product `id` inside a write's transaction (after its bump). */
const revisionIn = (id: string) => revisionOf(sql`${id}::text`);

/**
 * `PUT` without `If-Match`: creates (version 1) or replaces (version + 1) in one upsert statement.
 * `created` is derived from the version: only a creation yields version 1.
 */
export async function upsertProduct(
  db: Db,
  id: string,
  input: ProductInput,
  target: InvalidationTarget,
): Promise<{ product: Product; created: boolean; outboxId: number; rev: number }> {
  const [, written, outboxRows] = await db.batch([
    bumpRevision(db, id),
    db
      .insert(products)
      .values({ id, ...input })
      .onConflictDoUpdate({
        target: products.id,
        set: { ...input, version: sql`${products.version} + 1`, updatedAt: sql`now()` },
      })
      .returning(productColumns),
    insertOutboxRow(db, target, revisionIn(id)),
  ]);
  const row = written[0];
  const outboxRow = outboxRows[0];
  if (row === undefined || outboxRow === undefined) {
    // An upsert always returns its row; anything else is a driver or emulator bug.
    throw new Error("upsert returned no row");
  }
  const product = toProduct(row);
  return {
    product,
    created: product.version === 1,
    outboxId: outboxRow.id,
    rev: Number(row.rev),
  };
}

/**
 * `PUT` with `If-Match` (replace only) and `PATCH`: one batch of lock → conditional outbox row →
 * conditional update. The lock makes the outbox insert and the update see the same version, so a
 * concurrent writer cannot slip in between them; `version = version + 1` is in the UPDATE itself.
 */
export async function updateProduct(
  db: Db,
  id: string,
  changes: ProductPatch,
  condition: VersionCondition | undefined,
  target: InvalidationTarget,
): Promise<WriteResult<Product>> {
  const where = matchCondition(id, condition);
  const [, locked, outboxResult, written] = await db.batch([
    bumpRevision(db, id),
    lockProduct(db, id),
    insertOutboxRowIf(db, target, revisionIn(id), existsWhere(where)),
    db
      .update(products)
      .set({ ...changes, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
      .where(where)
      .returning(productColumns),
  ]);
  const result = guardedResult(locked, written, outboxResult.rows);
  return result.kind === "ok" ? { ...result, value: toProduct(result.value) } : result;
}

/** `DELETE`: lock → conditional outbox row → conditional delete (reviews go by ON DELETE CASCADE). */
export async function deleteProduct(
  db: Db,
  id: string,
  condition: VersionCondition | undefined,
  target: InvalidationTarget,
): Promise<WriteResult<{ id: string }>> {
  const where = matchCondition(id, condition);
  const [, locked, outboxResult, deleted] = await db.batch([
    bumpRevision(db, id),
    lockProduct(db, id),
    insertOutboxRowIf(db, target, revisionIn(id), existsWhere(where)),
    db.delete(products).where(where).returning({ id: products.id }),
  ]);
  return guardedResult(locked, deleted, outboxResult.rows);
}
