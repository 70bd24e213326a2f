/**
 * `/products/:id/reviews`: the newest reviews with count and average, read through the cache; a
 * new review invalidates the review list, the product (its rating) and the product pages.
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
import { allowOnly, loaded, since } from "./shared";

const PATH = "/products/:id/reviews";

/** Registers `GET` and `POST /products/:id/reviews` (and `405` for the rest). */
export function registerReviewRoutes(app: Hono<AppEnv>): void {
  app.get(PATH, validate("param", productParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const { cache, db, keys } = c.get("services");
    const { loaded: result, outcome } = await cache.get<ReviewList>(keys.reviews(id), async () =>
      loaded(await findReviewList(db, id)),
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
      const target = services.keys.invalidationFor(id);
      const started = Date.now();
      const written = await insertReview(services.db, id, input, target);
      if (written === undefined) {
        throw new AppError("not_found", "product not found");
      }
      const dbMs = since(started);
      const report = await invalidateAfterCommit(services, target, written.outboxId);
      c.header("Server-Timing", serverTiming({ cacheMs: report.cacheMs, dbMs }));
      return c.json(written.review, 201);
    },
  );

  allowOnly(app, PATH, ["GET", "POST"]);
}
