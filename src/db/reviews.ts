/**
 * Review queries.
 *
 * @module
 */
import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { isForeignKeyViolation } from "./errors";
import type { InvalidationTarget, Rating, Review, ReviewInput } from "./models";
import { insertOutboxRow, insertOutboxRowIf } from "./outbox";
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

/**
 * The review list of a product, or `undefined` when the product is absent. One batch (one round
 * trip, one transaction): existence, the newest reviews, the aggregate.
 */
export async function findReviewList(db: Db, productId: string): Promise<ReviewList | undefined> {
  const [exists, items, aggregate] = await db.batch([
    db.select({ id: products.id }).from(products).where(eq(products.id, productId)),
    db
      .select(reviewColumns)
      .from(reviews)
      .where(eq(reviews.productId, productId))
      // The id breaks ties between reviews created in the same millisecond, so the order is stable.
      .orderBy(desc(reviews.createdAt), desc(reviews.id))
      .limit(REVIEW_LIST_LIMIT),
    db
      .select({
        count: sql<number>`count(*)::int`,
        average: sql<string | null>`round(avg(${reviews.rating}), 2)::text`,
      })
      .from(reviews)
      .where(eq(reviews.productId, productId)),
  ]);
  if (exists.length === 0) {
    return undefined;
  }
  const rating: Rating = {
    count: Number(aggregate[0]?.count ?? 0),
    average: aggregate[0]?.average == null ? null : Number(aggregate[0].average),
  };
  return { items: items.map(toReview), ...rating };
}

/**
 * Adds a review and its outbox row in one transaction; `undefined` when the product is absent (the
 * foreign key rejects the insert, which rolls the outbox row back too).
 */
export async function insertReview(
  db: Db,
  productId: string,
  input: ReviewInput,
  authorId: string | null,
  target: InvalidationTarget,
): Promise<{ review: Review; outboxId: number } | undefined> {
  try {
    const [written, outboxRows] = await db.batch([
      db
        .insert(reviews)
        .values({ productId, ...input, authorId })
        .returning(reviewColumns),
      insertOutboxRow(db, target),
    ]);
    const row = written[0];
    const outboxRow = outboxRows[0];
    if (row === undefined || outboxRow === undefined) {
      throw new Error("review insert returned no row");
    }
    return { review: toReview(row), outboxId: outboxRow.id };
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
  | { kind: "ok"; outboxId: number }
  | { kind: "product_not_found" }
  | { kind: "review_not_found" }
  | { kind: "forbidden" };

/**
 * Deletes review `reviewId` of product `productId` with its outbox row, in one transaction: lock
 * the review → conditional outbox row → conditional delete, both conditioned on the same
 * ownership check, so a refused or absent review leaves no outbox row behind. The product and
 * review lookups in the same batch tell the failures apart.
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
  const [product, locked, outboxResult, deleted] = await db.batch([
    db.select({ id: products.id }).from(products).where(eq(products.id, productId)),
    db
      .select({ authorId: reviews.authorId })
      .from(reviews)
      .where(ofProduct ?? sql`false`)
      .for("update"),
    insertOutboxRowIf(db, target, sql`EXISTS (SELECT 1 FROM ${reviews} WHERE ${where})`),
    db.delete(reviews).where(where).returning({ id: reviews.id }),
  ]);
  const outboxRow = outboxResult.rows[0];
  if (deleted.length > 0 && outboxRow !== undefined) {
    return { kind: "ok", outboxId: Number(outboxRow.id) };
  }
  if (product.length === 0) {
    return { kind: "product_not_found" };
  }
  return locked.length === 0 ? { kind: "review_not_found" } : { kind: "forbidden" };
}
