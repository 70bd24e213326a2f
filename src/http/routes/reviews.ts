/**
 * `/products/:id/reviews`: the newest reviews with count and average, read through the cache; a
 * new or deleted review stores the product's new state (its rating), leaves a tombstone for the
 * review list, voids the product pages, and answers a `Bookmark`.
 *
 * Who may write (docs/api.md): any authenticated caller posts (a user's review carries its `sub`
 * as `authorId`); a review is deleted by its author, a product writer or the service, and another
 * user's review is `403`.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { deleteReview, findReviewList, insertReview, type ReviewList } from "../../db/reviews";
import { readThrough } from "../absent-reads";
import { deleteReviewOp, listReviewsOp, postReviewOp } from "../api";
import { authorIdOf, isProductWriter, type Principal } from "../auth/principal";
import { setCachedReadHeaders } from "../cache-headers";
import { AppError } from "../errors";
import { mount } from "../mount";
import type { AppEnv } from "../types";
import { afterProductWrite } from "./products";
import { readOptionsOf, since, versionedLoad } from "./shared";

const productNotFound = () => new AppError("not_found", "product not found");

/** The caller `requireAuth` put on the context (a route without it is a wiring bug: 500). */
function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (principal === undefined) {
    throw new Error("route has no requireAuth()");
  }
  return principal;
}

/** Registers `GET`, `POST /products/:id/reviews` and `DELETE …/:reviewId`. */
export function registerReviewRoutes(app: Hono<AppEnv>): void {
  mount(app, listReviewsOp, async (c, { params: { id } }) => {
    const services = c.get("services");
    const { loaded: result, outcome } = await readThrough<ReviewList>(
      c,
      services.keys.reviews(id),
      versionedLoad(services, (db) => findReviewList(db, id)),
      await readOptionsOf(c, id),
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
    const written = await insertReview(db, id, input, authorId, keys.outboxTarget(id));
    if (written === undefined) {
      throw productNotFound();
    }
    const { rev, product, outboxId } = written;
    await afterProductWrite(c, { kind: "reviewed", id, rev, product }, outboxId, since(started));
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
    const result = await deleteReview(db, id, reviewId, deleter, keys.outboxTarget(id));
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
      case "ok": {
        const { rev, product, outboxId } = result;
        await afterProductWrite(
          c,
          { kind: "reviewed", id, rev, product },
          outboxId,
          since(started),
        );
        return c.body(null, 204);
      }
    }
  });
}
