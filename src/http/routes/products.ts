/**
 * `/products/:id`: read through the cache (under the client's absent-read budget; from the replica
 * when a revision proves it recent; at the revision a `Bookmark` names); `PUT`, `PATCH`, `DELETE`
 * commit (with their outbox row) and then, in one Redis call, store the written state, void the
 * leases and the product pages, and answer a `Bookmark`.
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
import type { ProductWrite } from "../../resource-keys";
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
import { readOptionsOf, setBookmark, since, versionedLoad } from "./shared";

const notFound = () => new AppError("not_found", "product not found");
const preconditionFailed = () =>
  new AppError("precondition_failed", "If-Match does not match the current ETag");

/**
 * Finishes a write: applies its effects on the cache (the written state stored, locks deleted,
 * pages voided), then sets `Bookmark`, `ETag` and `Server-Timing`.
 */
export async function afterProductWrite(
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

/** Registers `GET`, `PUT`, `PATCH`, `DELETE /products/:id`. */
export function registerProductRoutes(app: Hono<AppEnv>): void {
  mount(app, getProductOp, async (c, { params: { id } }) => {
    const services = c.get("services");
    const { loaded: result, outcome } = await readThrough<Product>(
      c,
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

  mount(app, putProductOp, async (c, { params: { id }, body: input }) => {
    const { db, keys } = c.get("services");
    const condition = parseIfMatch(c.req.header("If-Match"));
    const started = Date.now();
    if (condition === undefined) {
      const written = await upsertProduct(db, id, input, keys.outboxTarget(id));
      const { product, created, rev } = written;
      const saved: ProductWrite = { kind: "saved", id, rev, product, created };
      await afterProductWrite(c, saved, written.outboxId, since(started));
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
    await afterProductWrite(c, saved, result.outboxId, since(started));
    return c.json(result.value, 200);
  });

  mount(app, patchProductOp, async (c, { params: { id }, body: patch }) => {
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
    await afterProductWrite(c, saved, result.outboxId, since(started));
    return c.json(result.value, 200);
  });

  mount(app, deleteProductOp, async (c, { params: { id } }) => {
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
    await afterProductWrite(
      c,
      { kind: "deleted", id, rev: result.rev },
      result.outboxId,
      since(started),
    );
    return c.body(null, 204);
  });
}
