/**
 * `/products/:id`: read through the cache (from the replica when a revision proves it recent, at
 * the revision a `Bookmark` names); `PUT`, `PATCH`, `DELETE` commit (with their outbox row) and
 * then, in one Redis call, store the written state, void the leases and the product pages, and
 * answer a `Bookmark`.
 *
 * Writes run: bearer auth → id check → rate limit → body checks → schema → work, so nothing that
 * fails earlier touches Redis or Postgres.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { Product } from "../../db/models";
import { deleteProduct, findProduct, updateProduct, upsertProduct } from "../../db/products";
import { invalidateAfterCommit } from "../../invalidation/after-commit";
import type { ProductWrite } from "../../resource-keys";
import {
  etagOf,
  ifNoneMatchHits,
  parseIfMatch,
  serverTiming,
  setCachedReadHeaders,
} from "../cache-headers";
import { AppError } from "../errors";
import { requireBearer } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { rateLimitWrites } from "../middleware/rate-limit";
import { productInputSchema, productParamsSchema, productPatchSchema } from "../schemas";
import type { AppEnv } from "../types";
import { validate } from "../validation";
import { allowOnly, readOptionsOf, setBookmark, since, versionedLoad } from "./shared";

const PATH = "/products/:id";

const notFound = () => new AppError("not_found", "product not found");
const preconditionFailed = () =>
  new AppError("precondition_failed", "If-Match does not match the current ETag");

/**
 * Finishes a write: applies its effects on the cache (the written state stored, locks deleted,
 * pages voided), then sets `Bookmark`, `ETag` and `Server-Timing`.
 */
async function afterCommit(
  c: Context<AppEnv>,
  write: ProductWrite,
  outboxId: number,
  dbMs: number,
): Promise<void> {
  const services = c.get("services");
  const report = await invalidateAfterCommit(
    services,
    services.keys.effectsOf(write, outboxId),
    outboxId,
  );
  c.header("Server-Timing", serverTiming({ cacheMs: report.cacheMs, dbMs }));
  await setBookmark(c, {
    productId: write.id,
    rev: write.rev,
    ...(report.syncToken === undefined ? {} : { syncToken: report.syncToken }),
  });
  if (write.kind === "saved") {
    c.header("ETag", etagOf(write.product.version));
  }
}

/** Registers `GET`, `PUT`, `PATCH`, `DELETE /products/:id` (and `405` for the rest). */
export function registerProductRoutes(app: Hono<AppEnv>): void {
  app.get(PATH, validate("param", productParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const services = c.get("services");
    const { loaded: result, outcome } = await services.cache.get<Product>(
      services.keys.product(id),
      versionedLoad(services, (db) => findProduct(db, id)),
      await readOptionsOf(c, id),
    );
    setCachedReadHeaders(c, outcome);
    if (!result.found) {
      throw notFound();
    }
    const product = result.value;
    c.header("ETag", etagOf(product.version));
    if (ifNoneMatchHits(c.req.header("If-None-Match"), product.version)) {
      return c.body(null, 304);
    }
    return c.json(product, 200);
  });

  app.put(
    PATH,
    requireBearer(),
    validate("param", productParamsSchema),
    rateLimitWrites(),
    jsonBody(),
    validate("json", productInputSchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const { db, keys } = c.get("services");
      const condition = parseIfMatch(c.req.header("If-Match"));
      const started = Date.now();
      if (condition === undefined) {
        const written = await upsertProduct(db, id, input, keys.outboxTarget(id));
        const { product, created, rev } = written;
        await afterCommit(
          c,
          { kind: "saved", id, rev, product, created },
          written.outboxId,
          since(started),
        );
        if (created) {
          c.header("Location", `/products/${id}`);
          return c.json(product, 201);
        }
        return c.json(product, 200);
      }
      // With If-Match, PUT only replaces: an absent product fails the precondition (RFC 9110).
      const result = await updateProduct(db, id, input, condition, keys.outboxTarget(id));
      if (result.kind !== "ok") {
        throw preconditionFailed();
      }
      const saved: ProductWrite = {
        kind: "saved",
        id,
        rev: result.rev,
        product: result.value,
        created: false,
      };
      await afterCommit(c, saved, result.outboxId, since(started));
      return c.json(result.value, 200);
    },
  );

  app.patch(
    PATH,
    requireBearer(),
    validate("param", productParamsSchema),
    rateLimitWrites(),
    jsonBody(),
    validate("json", productPatchSchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      const { db, keys } = c.get("services");
      const started = Date.now();
      const condition = parseIfMatch(c.req.header("If-Match"));
      const result = await updateProduct(db, id, patch, condition, keys.outboxTarget(id));
      if (result.kind === "not_found") {
        throw notFound();
      }
      if (result.kind === "precondition_failed") {
        throw preconditionFailed();
      }
      const saved: ProductWrite = {
        kind: "saved",
        id,
        rev: result.rev,
        product: result.value,
        created: false,
      };
      await afterCommit(c, saved, result.outboxId, since(started));
      return c.json(result.value, 200);
    },
  );

  app.delete(
    PATH,
    requireBearer(),
    validate("param", productParamsSchema),
    rateLimitWrites(),
    async (c) => {
      const { id } = c.req.valid("param");
      const { db, keys } = c.get("services");
      const started = Date.now();
      const condition = parseIfMatch(c.req.header("If-Match"));
      const result = await deleteProduct(db, id, condition, keys.outboxTarget(id));
      if (result.kind === "not_found") {
        throw notFound();
      }
      if (result.kind === "precondition_failed") {
        throw preconditionFailed();
      }
      await afterCommit(
        c,
        { kind: "deleted", id, rev: result.rev },
        result.outboxId,
        since(started),
      );
      return c.body(null, 204);
    },
  );

  allowOnly(app, PATH, ["GET", "PUT", "PATCH", "DELETE"]);
}
