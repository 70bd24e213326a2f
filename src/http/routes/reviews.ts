/**
 * `/products/:id/reviews`: the newest reviews with count and average, read through the cache; a
 * new review stores the product's new state (its rating), leaves a tombstone for the review list,
 * voids the product pages, and answers a `Bookmark`.
 *
 * @module
 */
import type { Hono } from "hono";
import { findReviewList, insertReview, type ReviewList } from "../../db/reviews";
import { invalidateAfterCommit } from "../../invalidation/after-commit";
import { serverTiming, setCachedReadHeaders } from "../cache-headers";
import { AppError } from "../errors";
import { requireBearer } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { rateLimitWrites } from "../middleware/rate-limit";
import { productParamsSchema, reviewInputSchema } from "../schemas";
import type { AppEnv } from "../types";
import { validate } from "../validation";
import { allowOnly, readOptionsOf, setBookmark, since, versionedLoad } from "./shared";

const PATH = "/products/:id/reviews";

/** Registers `GET` and `POST /products/:id/reviews` (and `405` for the rest). */
export function registerReviewRoutes(app: Hono<AppEnv>): void {
  app.get(PATH, validate("param", productParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const services = c.get("services");
    const { loaded: result, outcome } = await services.cache.get<ReviewList>(
      services.keys.reviews(id),
      versionedLoad(services, (db) => findReviewList(db, id)),
      await readOptionsOf(c, id),
    );
    setCachedReadHeaders(c, outcome);
    if (!result.found) {
      throw new AppError("not_found", "product not found");
    }
    return c.json(result.value, 200);
  });

  app.post(
    PATH,
    requireBearer(),
    validate("param", productParamsSchema),
    rateLimitWrites(),
    jsonBody(),
    validate("json", reviewInputSchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const services = c.get("services");
      const started = Date.now();
      const written = await insertReview(services.db, id, input, services.keys.outboxTarget(id));
      if (written === undefined) {
        throw new AppError("not_found", "product not found");
      }
      const dbMs = since(started);
      const { rev, product, outboxId } = written;
      const report = await invalidateAfterCommit(
        services,
        services.keys.effectsOf({ kind: "reviewed", id, rev, product }, outboxId),
        outboxId,
      );
      c.header("Server-Timing", serverTiming({ cacheMs: report.cacheMs, dbMs }));
      await setBookmark(c, {
        productId: id,
        rev,
        ...(report.syncToken === undefined ? {} : { syncToken: report.syncToken }),
      });
      return c.json(written.review, 201);
    },
  );

  allowOnly(app, PATH, ["GET", "POST"]);
}
