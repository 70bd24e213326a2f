/**
 * Review queries.
 *
 * @module
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { isForeignKeyViolation } from "./errors";
import type { InvalidationTarget, Product, Rating, Review, ReviewInput } from "./models";
import { insertOutboxRow, insertOutboxRowIf } from "./outbox";
import { productState, selectProduct } from "./products";
import { bumpRevision, type Revisioned, revisionOf } from "./revisions";
import { products, reviews } from "./schema";

/** Most reviews returned by {@link findReviewList} (the contract's page size). */
export const REVIEW_LIST_LIMIT = 50;

/** A product's review list: the newest {@link REVIEW_LIST_LIMIT} reviews plus the aggregate over all. */
export type ReviewList = { items: Review[]; count: number; average: number | null };

type ReviewRecord = {
  id: string;
  productId: string;
  rating: number;
  author: string;
  authorId: string | null;
  body: string;
  createdAt: Date;
};

const reviewColumns = {
  id: reviews.id,
  productId: reviews.productId,
  rating: reviews.rating,
  author: reviews.author,
  authorId: reviews.authorId,
  body: reviews.body,
  createdAt: reviews.createdAt,
};

function toReview(r: ReviewRecord): Review {
  return {
    id: r.id,
    productId: r.productId,
    rating: r.rating,
    author: r.author,
    authorId: r.authorId,
    body: r.body,
    createdAt: r.createdAt.toISOString(),
  };
}

/** `(SELECT $productId::text AS wanted_id) AS wanted`: the one row a lookup by id selects from. */
function wantedRow(productId: string) {
  return sql`(SELECT ${productId}::text AS ${sql.identifier("wanted_id")}) AS ${sql.identifier("wanted")}`;
}

const wantedId = sql`${sql.identifier("wanted")}.${sql.identifier("wanted_id")}`;

/** `reviews.<column>` of the reviews of the wanted product, for the subqueries below. */
const ofWanted = sql`${reviews} WHERE ${reviews.productId} = ${wantedId}`;

type ReviewJson = {
  id: string;
  productId: string;
  rating: number;
  author: string;
  authorId: string | null;
  body: string;
  createdAt: string;
};

/**
 * The review list of a product (`undefined` value when the product is absent) and the product's
 * revision, from ONE statement, so the items, the aggregate and the revision are one snapshot.
 */
export async function findReviewList(
  db: Db,
  productId: string,
): Promise<Revisioned<ReviewList | undefined>> {
  const newest = sql`SELECT * FROM ${ofWanted} ORDER BY ${reviews.createdAt} DESC, ${reviews.id} DESC LIMIT ${REVIEW_LIST_LIMIT}`;
  const [row] = await db
    .select({
      rev: revisionOf(wantedId),
      present: sql<boolean>`EXISTS (SELECT 1 FROM ${products} WHERE ${products.id} = ${wantedId})`,
      // The id breaks ties between reviews created in the same millisecond, so the order is stable.
      items: sql<ReviewJson[]>`coalesce((SELECT json_agg(json_build_object(
        'id', n.id, 'productId', n.product_id, 'rating', n.rating, 'author', n.author,
        'authorId', n.author_id, 'body', n.body, 'createdAt', n.created_at)
        ORDER BY n.created_at DESC, n.id DESC)
        FROM (${newest}) AS n), '[]'::json)`,
      count: sql<number>`(SELECT count(*)::int FROM ${ofWanted})`,
      average: sql<string | null>`(SELECT round(avg(${reviews.rating}), 2)::text FROM ${ofWanted})`,
    })
    .from(wantedRow(productId));
  const rev = Number(row?.rev ?? 0);
  if (row === undefined || !row.present) {
    return { value: undefined, rev };
  }
  const rating: Rating = {
    count: Number(row.count),
    average: row.average === null ? null : Number(row.average),
  };
  const items = row.items.map((item) => ({
    ...item,
    createdAt: new Date(item.createdAt).toISOString(),
  }));
  return { value: { items, ...rating }, rev };
}

/**
 * Adds a review and its outbox row in one transaction, raising the product's revision first and
 * reading the product (its new rating) back; `undefined` when the product is absent (the foreign key
 * rejects the insert, which rolls everything back).
 */
export async function insertReview(
  db: Db,
  productId: string,
  input: ReviewInput,
  authorId: string | null,
  target: InvalidationTarget,
): Promise<{ review: Review; product: Product; rev: number; outboxId: number } | undefined> {
  try {
    const [, written, outboxRows, productRows] = await db.batch([
      bumpRevision(db, productId),
      db
        .insert(reviews)
        .values({ productId, ...input, authorId })
        .returning(reviewColumns),
      insertOutboxRow(db, target, revisionOf(sql`${productId}::text`)),
      selectProduct(db, productId),
    ]);
    const row = written[0];
    const outboxRow = outboxRows[0];
    const product = productRows[0];
    if (row === undefined || outboxRow === undefined || product === undefined) {
      throw new Error("review insert returned no row");
    }
    return {
      review: toReview(row),
      ...productState(product),
      outboxId: outboxRow.id,
    };
  } catch (err: unknown) {
    if (isForeignKeyViolation(err)) {
      return undefined;
    }
    throw err;
  }
}

/** Who deletes a review: anyone's (the service, a product writer) or only their own. */
export type ReviewDeleter = { anyReview: true } | { anyReview: false; userId: string };

/** The outcome of {@link deleteReview}. */
export type DeleteReviewResult =
  | { kind: "ok"; outboxId: number; product: Product; rev: number }
  | { kind: "product_not_found" }
  | { kind: "review_not_found" }
  | { kind: "forbidden" };

/**
 * Deletes review `reviewId` of product `productId` with its outbox row, in one transaction: raise
 * the product's revision (its lock orders this write with the product's others) → lock the review
 * → conditional outbox row → conditional delete, both conditioned on the same ownership check, so
 * a refused or absent review leaves no outbox row behind → the product read back (its new rating).
 * The product and review lookups in the same batch tell the failures apart.
 */
export async function deleteReview(
  db: Db,
  productId: string,
  reviewId: string,
  deleter: ReviewDeleter,
  target: InvalidationTarget,
): Promise<DeleteReviewResult> {
  const ofProduct = and(eq(reviews.id, reviewId), eq(reviews.productId, productId));
  const allowed: SQL | undefined = deleter.anyReview
    ? ofProduct
    : and(ofProduct, eq(reviews.authorId, deleter.userId));
  const where = allowed ?? sql`false`;
  const [, product, locked, outboxResult, deleted, after] = await db.batch([
    bumpRevision(db, productId),
    db.select({ id: products.id }).from(products).where(eq(products.id, productId)),
    db
      .select({ authorId: reviews.authorId })
      .from(reviews)
      .where(ofProduct ?? sql`false`)
      .for("update"),
    insertOutboxRowIf(
      db,
      target,
      revisionOf(sql`${productId}::text`),
      sql`EXISTS (SELECT 1 FROM ${reviews} WHERE ${where})`,
    ),
    db.delete(reviews).where(where).returning({ id: reviews.id }),
    selectProduct(db, productId),
  ]);
  const outboxRow = outboxResult.rows[0];
  const productRow = after[0];
  if (deleted.length > 0 && outboxRow !== undefined && productRow !== undefined) {
    return { kind: "ok", outboxId: Number(outboxRow.id), ...productState(productRow) };
  }
  if (product.length === 0) {
    return { kind: "product_not_found" };
  }
  return locked.length === 0 ? { kind: "review_not_found" } : { kind: "forbidden" };
}
