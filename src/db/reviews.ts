/**
 * Review queries.
 *
 * @module
 */
import { desc, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { isForeignKeyViolation } from "./errors";
import type { InvalidationTarget, Rating, Review, ReviewInput } from "./models";
import { insertOutboxRow } from "./outbox";
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
  body: string;
  createdAt: Date;
};

const reviewColumns = {
  id: reviews.id,
  productId: reviews.productId,
  rating: reviews.rating,
  author: reviews.author,
  body: reviews.body,
  createdAt: reviews.createdAt,
};

function toReview(r: ReviewRecord): Review {
  return {
    id: r.id,
    productId: r.productId,
    rating: r.rating,
    author: r.author,
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
  target: InvalidationTarget,
): Promise<{ review: Review; outboxId: number } | undefined> {
  try {
    const [written, outboxRows] = await db.batch([
      db
        .insert(reviews)
        .values({ productId, ...input })
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
