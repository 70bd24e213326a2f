/**
 * `/products/:id/reviews`: the newest reviews with count and average, read through the cache; a
 * new or deleted review invalidates the review list, the product (its rating) and the product
 * pages.
 *
 * Who may write (API.md): any authenticated caller posts (a user's review carries its `sub` as
 * `authorId`); a review is deleted by its author, a product writer or the service, and another
 * user's review is `403`.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { deleteReview, findReviewList, insertReview, type ReviewList } from "../../db/reviews";
import { invalidateAfterCommit } from "../../invalidation/after-commit";
import { readThrough } from "../absent-reads";
import { deleteReviewOp, listReviewsOp, postReviewOp } from "../api";
import { authorIdOf, isProductWriter, type Principal } from "../auth/principal";
import { serverTiming, setCachedReadHeaders } from "../cache-headers";
import { AppError } from "../errors";
import { mount } from "../mount";
import type { AppEnv } from "../types";
import { since } from "./shared";

const productNotFound = () => new AppError("not_found", "product not found");

/** The caller `requireAuth` put on the context (a route without it is a wiring bug: 500). */
function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (principal === undefined) {
    throw new Error("route has no requireAuth()");
  }
  return principal;
}

/** Invalidates after a committed review write and sets `Server-Timing`. */
async function afterCommit(c: Context<AppEnv>, id: string, outboxId: number, dbMs: number) {
  const services = c.get("services");
  const report = await invalidateAfterCommit(services, services.keys.invalidationFor(id), outboxId);
  c.header("Server-Timing", serverTiming({ cacheMs: report.cacheMs, dbMs }));
}

/** Registers `GET`, `POST /products/:id/reviews` and `DELETE …/:reviewId`. */
export function registerReviewRoutes(app: Hono<AppEnv>): void {
  mount(app, listReviewsOp, async (c, { params: { id } }) => {
    const { db, keys } = c.get("services");
    const { loaded: result, outcome } = await readThrough<ReviewList>(c, keys.reviews(id), () =>
      findReviewList(db, id),
    );
    setCachedReadHeaders(c, outcome);
    if (!result.found) {
      throw productNotFound();
    }
    return c.json(result.value, 200);
  });

  mount(app, postReviewOp, async (c, { params: { id }, body: input }) => {
    const { db, keys } = c.get("services");
    const started = Date.now();
    const authorId = authorIdOf(principalOf(c));
    const written = await insertReview(db, id, input, authorId, keys.invalidationFor(id));
    if (written === undefined) {
      throw productNotFound();
    }
    await afterCommit(c, id, written.outboxId, since(started));
    return c.json(written.review, 201);
  });

  mount(app, deleteReviewOp, async (c, { params: { id, reviewId } }) => {
    const { db, keys } = c.get("services");
    const principal = principalOf(c);
    const deleter =
      principal.kind === "user" && !isProductWriter(principal)
        ? { anyReview: false as const, userId: principal.id }
        : { anyReview: true as const };
    const started = Date.now();
    const result = await deleteReview(db, id, reviewId, deleter, keys.invalidationFor(id));
    switch (result.kind) {
      case "product_not_found":
        throw productNotFound();
      case "review_not_found":
        throw new AppError("not_found", "review not found");
      case "forbidden":
        throw new AppError(
          "forbidden",
          "only the review's author or a product writer may delete it",
        );
      case "ok":
        await afterCommit(c, id, result.outboxId, since(started));
        return c.body(null, 204);
    }
  });
}
