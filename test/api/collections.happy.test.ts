/**
 * The success rows of docs/api.md's endpoint table for review lists, product pages, `/healthz` and
 * `/openapi.json`, with the headers each must carry.
 */
import { describe, expect, it } from "vitest";
import {
  newId,
  type Product,
  postReview,
  putProduct,
  type Review,
  sql,
  startApiWithOwnDatabase,
  useApi,
} from "./helpers";

const w = useApi();

describe("/products/:id/reviews", () => {
  it("POST answers 201 with the review; the product's rating changes, its version does not", async () => {
    const id = newId();
    await putProduct(w, id);
    await w.fetch(`/products/${id}`); // cached with no reviews
    const res = await postReview(w, id, { rating: 4, author: "Ana", body: "Nice" });
    expect(res.status).toBe(201);
    const review = (await res.json()) as Review;
    expect(review).toMatchObject({ productId: id, rating: 4, author: "Ana", body: "Nice" });
    expect(review.id).toMatch(/^[0-9a-f-]{36}$/);
    const product = (await (await w.fetch(`/products/${id}`)).json()) as Product;
    expect(product.version).toBe(1);
    expect(product.rating).toEqual({ count: 1, average: 4 });
  });

  it("GET answers the newest 50 reviews first, with count and average over all of them", async () => {
    const id = newId();
    await putProduct(w, id);
    // 51 reviews with distinct timestamps, inserted directly (the list is not cached yet).
    await sql(
      `INSERT INTO reviews (product_id, rating, author, body, created_at)
       SELECT $1, 1 + (i % 5), 'author ' || i, 'body ' || i, now() - make_interval(secs => 60 - i)
       FROM generate_series(0, 50) AS i`,
      [id],
    );
    const res = await w.fetch(`/products/${id}/reviews`);
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Cache")).toBe("MISS");
    expect(res.headers.get("Cache-Control")).toBe("no-cache");
    const list = (await res.json()) as { items: Review[]; count: number; average: number };
    expect(list.count).toBe(51);
    expect(list.items).toHaveLength(50);
    expect(list.items[0]?.author).toBe("author 50");
    expect(list.items[49]?.author).toBe("author 1");
    // ratings 1 + (i % 5) for i = 0..50: ten full cycles (150) plus 1 = 151; 151 / 51 = 2.9607…
    expect(list.average).toBe(2.96);
    expect((await w.fetch(`/products/${id}/reviews`)).headers.get("X-Cache")).toBe("HIT");
  });

  it("GET answers an empty list with a null average for a product without reviews", async () => {
    const id = newId();
    await putProduct(w, id);
    expect(await (await w.fetch(`/products/${id}/reviews`)).json()).toEqual({
      items: [],
      count: 0,
      average: null,
    });
  });
});

describe("GET /products", () => {
  it("pages through every product in id order with opaque cursors", async () => {
    const prefix = newId("page");
    const ids = ["c", "a", "e", "b", "d"].map((s) => `${prefix}-${s}`);
    for (const id of ids) {
      await putProduct(w, id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? "limit=2" : `limit=2&cursor=${cursor}`;
      const res = await w.fetch(`/products?${query}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("X-Cache")).toMatch(/^(HIT|MISS)$/);
      const page = (await res.json()) as { items: Product[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 1000);
    const mine = seen.filter((id) => id.startsWith(prefix));
    expect(mine).toEqual([...ids].sort());
    expect(seen).toEqual([...seen].sort());
  });

  it("defaults to 20 items and shows a write at once although pages are cached", async () => {
    const own = await startApiWithOwnDatabase("pages_default");
    const w = own.worker;
    try {
      for (let i = 0; i < 21; i++) {
        await putProduct(w, newId("bulk"));
      }
      const first = (await (await w.fetch("/products")).json()) as {
        items: Product[];
        nextCursor: string | null;
      };
      expect(first.items).toHaveLength(20);
      expect(first.nextCursor).not.toBeNull();
      expect((await w.fetch("/products")).headers.get("X-Cache")).toBe("HIT");
      // The database holds only this test's products, so "0…" sorts first.
      const id = `0${newId()}`;
      await putProduct(w, id);
      const after = (await (await w.fetch("/products")).json()) as { items: Product[] };
      expect(after.items[0]?.id).toBe(id);
    } finally {
      await own.dispose();
    }
  });
});

describe("GET /healthz", () => {
  it("answers ok when Postgres and Redis are up", async () => {
    const res = await w.fetch("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", db: "ok", redis: "ok" });
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document of every endpoint (test/api/openapi.test.ts checks it in depth)", async () => {
    const res = await w.fetch("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/products",
        "/products/{id}",
        "/products/{id}/reviews",
        "/products/{id}/reviews/{reviewId}",
        "/healthz",
        "/openapi.json",
        "/docs",
        "/",
      ]),
    );
  });
});
