/**
 * `/products/:id`: read through the cache; `PUT`, `PATCH`, `DELETE` commit (with their outbox row)
 * and then invalidate the product, its review list and the product pages in one Redis call.
 *
 * Writes run: authentication and the product-writer check → id check → rate limit → body checks →
 * schema → work, so nothing that fails earlier touches Redis or Postgres.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { Product } from "../../db/models";
import { deleteProduct, findProduct, updateProduct, upsertProduct } from "../../db/products";
import { invalidateAfterCommit } from "../../invalidation/after-commit";
import { readThrough } from "../absent-reads";
import { deleteProductOp, getProductOp, patchProductOp, putProductOp } from "../api";
import {
  etagOf,
  ifNoneMatchHits,
  parseIfMatch,
  serverTiming,
  setCachedReadHeaders,
} from "../cache-headers";
import { AppError } from "../errors";
import { mount } from "../mount";
import type { AppEnv } from "../types";
import { since } from "./shared";

const notFound = () => new AppError("not_found", "product not found");
const preconditionFailed = () =>
  new AppError("precondition_failed", "If-Match does not match the current ETag");

/** Finishes a write: invalidation, then `ETag` and `Server-Timing` for the written product. */
async function afterCommit(
  c: Context<AppEnv>,
  id: string,
  outboxId: number,
  dbMs: number,
  version?: number,
): Promise<void> {
  const services = c.get("services");
  const report = await invalidateAfterCommit(services, services.keys.invalidationFor(id), outboxId);
  c.header("Server-Timing", serverTiming({ cacheMs: report.cacheMs, dbMs }));
  if (version !== undefined) {
    c.header("ETag", etagOf(version));
  }
}

/** Registers `GET`, `PUT`, `PATCH`, `DELETE /products/:id`. */
export function registerProductRoutes(app: Hono<AppEnv>): void {
  mount(app, getProductOp, async (c, { params: { id } }) => {
    const { db, keys } = c.get("services");
    const { loaded: result, outcome } = await readThrough<Product>(c, keys.product(id), () =>
      findProduct(db, id),
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

  mount(app, putProductOp, async (c, { params: { id }, body: input }) => {
    const { db, keys } = c.get("services");
    const condition = parseIfMatch(c.req.header("If-Match"));
    const started = Date.now();
    if (condition === undefined) {
      const written = await upsertProduct(db, id, input, keys.invalidationFor(id));
      await afterCommit(c, id, written.outboxId, since(started), written.product.version);
      if (written.created) {
        c.header("Location", `/products/${id}`);
        return c.json(written.product, 201);
      }
      return c.json(written.product, 200);
    }
    // With If-Match, PUT only replaces: an absent product fails the precondition (RFC 9110).
    const result = await updateProduct(db, id, input, condition, keys.invalidationFor(id));
    if (result.kind !== "ok") {
      throw preconditionFailed();
    }
    await afterCommit(c, id, result.outboxId, since(started), result.value.version);
    return c.json(result.value, 200);
  });

  mount(app, patchProductOp, async (c, { params: { id }, body: patch }) => {
    const { db, keys } = c.get("services");
    const started = Date.now();
    const condition = parseIfMatch(c.req.header("If-Match"));
    const result = await updateProduct(db, id, patch, condition, keys.invalidationFor(id));
    if (result.kind === "not_found") {
      throw notFound();
    }
    if (result.kind === "precondition_failed") {
      throw preconditionFailed();
    }
    await afterCommit(c, id, result.outboxId, since(started), result.value.version);
    return c.json(result.value, 200);
  });

  mount(app, deleteProductOp, async (c, { params: { id } }) => {
    const { db, keys } = c.get("services");
    const started = Date.now();
    const condition = parseIfMatch(c.req.header("If-Match"));
    const result = await deleteProduct(db, id, condition, keys.invalidationFor(id));
    if (result.kind === "not_found") {
      throw notFound();
    }
    if (result.kind === "precondition_failed") {
      throw preconditionFailed();
    }
    await afterCommit(c, id, result.outboxId, since(started));
    return c.body(null, 204);
  });
}
