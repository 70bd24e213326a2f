/**
 * `GET /products?limit=&cursor=`: pages ordered by id, cached per (limit, cursor) in one group that
 * every product write bumps.
 *
 * @module
 */
import type { Hono } from "hono";
import type { Product } from "../../db/models";
import { listProducts } from "../../db/products";
import { readThrough } from "../absent-reads";
import { listProductsOp } from "../api";
import { setCachedReadHeaders } from "../cache-headers";
import { mount } from "../mount";
import { DEFAULT_PAGE_LIMIT, encodeCursor } from "../schemas";
import type { AppEnv } from "../types";
import { readOptionsOf } from "./shared";

/** The cached value of a page: exactly the response body. */
type ProductPage = { items: Product[]; nextCursor: string | null };

/** Registers `GET /products`. */
export function registerProductListRoutes(app: Hono<AppEnv>): void {
  mount(app, listProductsOp, async (c, { query }) => {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const afterId = query.cursor;
    const { db, keys } = c.get("services");
    // Through the absent-read budget too: a client past it gets 429 for anything Postgres must
    // answer (a page is never "absent", so pages never use the budget up).
    const { loaded, outcome } = await readThrough<ProductPage>(
      c,
      keys.page(limit, afterId),
      // Pages are unversioned: always loaded from the primary, guarded by their group generation.
      async () => {
        const page = await listProducts(db, { afterId, limit });
        const last = page.items.at(-1);
        return {
          found: true,
          value: {
            items: page.items,
            nextCursor: page.hasMore && last !== undefined ? encodeCursor(last.id) : null,
          },
        };
      },
      await readOptionsOf(c),
    );
    setCachedReadHeaders(c, outcome);
    // The loader never reports "absent"; an empty page is still a page.
    const body: ProductPage = loaded.found ? loaded.value : { items: [], nextCursor: null };
    return c.json(body, 200);
  });
}
