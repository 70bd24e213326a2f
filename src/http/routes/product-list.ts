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
import { setCachedReadHeaders } from "../cache-headers";
import { DEFAULT_PAGE_LIMIT, encodeCursor, productListQuerySchema } from "../schemas";
import type { AppEnv } from "../types";
import { validate } from "../validation";
import { allowOnly } from "./shared";

const PATH = "/products";

/** The cached value of a page: exactly the response body. */
type ProductPage = { items: Product[]; nextCursor: string | null };

/** Registers `GET /products` (and `405` for the rest). */
export function registerProductListRoutes(app: Hono<AppEnv>): void {
  app.get(PATH, validate("query", productListQuerySchema), async (c) => {
    const query = c.req.valid("query");
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const afterId = query.cursor;
    const { db, keys } = c.get("services");
    // Through the absent-read budget too: a client past it gets 429 for anything Postgres must
    // answer (a page is never "absent", so pages never use the budget up).
    const { loaded, outcome } = await readThrough<ProductPage>(
      c,
      keys.page(limit, afterId),
      async () => {
        const page = await listProducts(db, { afterId, limit });
        const last = page.items.at(-1);
        return {
          items: page.items,
          nextCursor: page.hasMore && last !== undefined ? encodeCursor(last.id) : null,
        };
      },
    );
    setCachedReadHeaders(c, outcome);
    // The loader never reports "absent"; an empty page is still a page.
    const body: ProductPage = loaded.found ? loaded.value : { items: [], nextCursor: null };
    return c.json(body, 200);
  });

  allowOnly(app, PATH, ["GET"]);
}
