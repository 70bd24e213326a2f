/**
 * The success rows of API.md's endpoint table, with the headers each must carry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import {
  closeSql,
  newId,
  persistedFor,
  postReview,
  productBody,
  putProduct,
  sql,
  startApi,
  writeHeaders,
} from "./helpers";

type Product = {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  version: number;
  rating: { count: number; average: number | null };
  createdAt: string;
  updatedAt: string;
};
type Review = {
  id: string;
  productId: string;
  rating: number;
  author: string;
  body: string;
  createdAt: string;
};

let group: WorkerGroup;
let w: WorkerHandle;

beforeAll(async () => {
  group = await startApi();
  w = group.workers[0] as WorkerHandle;
});
afterAll(async () => {
  await group?.dispose();
  await closeSql();
});

describe("GET /products/:id", () => {
  it("answers the product with its rating, a strong ETag and cache headers, MISS then HIT", async () => {
    const id = newId();
    expect((await putProduct(w, id, productBody({ description: "Warm light" }))).status).toBe(201);
    await postReview(w, id, { rating: 5, author: "Ana", body: "Great" });
    await postReview(w, id, { rating: 4, author: "Bo", body: "Fine" });

    const first = await w.fetch(`/products/${id}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    expect(first.headers.get("Cache-Control")).toBe("no-cache");
    expect(first.headers.get("ETag")).toBe('"1"');
    expect(first.headers.get("Server-Timing")).toMatch(/^cache;dur=[\d.]+, db;dur=[\d.]+$/);
    const product = (await first.json()) as Product;
    expect(product).toMatchObject({
      id,
      name: "Desk lamp",
      description: "Warm light",
      priceCents: 4599,
      currency: "EUR",
      stock: 12,
      version: 1,
      rating: { count: 2, average: 4.5 },
    });
    expect(new Date(product.createdAt).toISOString()).toBe(product.createdAt);

    const second = await w.fetch(`/products/${id}`);
    expect(second.headers.get("X-Cache")).toBe("HIT");
    expect(second.headers.get("Server-Timing")).toMatch(/^cache;dur=[\d.]+$/);
    expect(await second.json()).toEqual(product);
  });

  it("rounds the average to 2 decimals", async () => {
    const id = newId();
    await putProduct(w, id);
    for (const rating of [5, 4, 4]) {
      await postReview(w, id, { rating, author: "A", body: "B" });
    }
    const product = (await (await w.fetch(`/products/${id}`)).json()) as Product;
    expect(product.rating).toEqual({ count: 3, average: 4.33 });
  });

  it("answers 304 without a body when If-None-Match matches, 200 when it does not", async () => {
    const id = newId();
    await putProduct(w, id);
    const notModified = await w.fetch(`/products/${id}`, { headers: { "If-None-Match": '"1"' } });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    expect(notModified.headers.get("ETag")).toBe('"1"');
    expect(notModified.headers.get("X-Cache")).toMatch(/^(HIT|MISS)$/);
    const weak = await w.fetch(`/products/${id}`, { headers: { "If-None-Match": 'W/"1", "7"' } });
    expect(weak.status).toBe(304);
    const changed = await w.fetch(`/products/${id}`, { headers: { "If-None-Match": '"0"' } });
    expect(changed.status).toBe(200);
  });

  it("answers HEAD like GET without a body", async () => {
    const id = newId();
    await putProduct(w, id);
    const head = await w.fetch(`/products/${id}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("ETag")).toBe('"1"');
    expect(await head.text()).toBe("");
  });
});

describe("PUT /products/:id", () => {
  it("creates with 201, version 1, the defaults and a Location header", async () => {
    const id = newId();
    const res = await putProduct(w, id, { name: "Mug", priceCents: 900 });
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe(`/products/${id}`);
    expect(res.headers.get("ETag")).toBe('"1"');
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Server-Timing")).toMatch(/cache;dur=.*db;dur=/);
    expect(await res.json()).toMatchObject({
      id,
      name: "Mug",
      description: "",
      currency: "USD",
      stock: 0,
      version: 1,
      rating: { count: 0, average: null },
    });
    expect((await persistedFor(id)).product).toEqual({ id, version: 1 });
  });

  it("replaces with 200 and version + 1, resetting omitted fields and keeping createdAt", async () => {
    const id = newId();
    const created = (await (
      await putProduct(w, id, productBody({ description: "old" }))
    ).json()) as Product;
    const res = await putProduct(w, id, { name: "Lamp v2", priceCents: 10 });
    expect(res.status).toBe(200);
    expect(res.headers.get("Location")).toBeNull();
    expect(res.headers.get("ETag")).toBe('"2"');
    const replaced = (await res.json()) as Product;
    expect(replaced).toMatchObject({
      name: "Lamp v2",
      description: "",
      priceCents: 10,
      currency: "USD",
      stock: 0,
      version: 2,
    });
    expect(replaced.createdAt).toBe(created.createdAt);
    expect(Date.parse(replaced.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
  });

  it("replaces when If-Match names the current version", async () => {
    const id = newId();
    await putProduct(w, id);
    const res = await putProduct(w, id, productBody({ stock: 1 }), { "If-Match": '"1"' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Product).version).toBe(2);
  });
});

describe("PATCH /products/:id", () => {
  it("changes only the given fields and increments the version", async () => {
    const id = newId();
    await putProduct(w, id, productBody({ description: "keep me" }));
    const res = await w.fetch(`/products/${id}`, {
      method: "PATCH",
      headers: writeHeaders({ "If-Match": '"1"' }),
      body: JSON.stringify({ stock: 3 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe('"2"');
    expect(await res.json()).toMatchObject({ stock: 3, description: "keep me", version: 2 });
    expect((await persistedFor(id)).product).toEqual({ id, version: 2 });
  });
});

describe("DELETE /products/:id", () => {
  it("answers 204, removes the product with its reviews, and a later GET is 404", async () => {
    const id = newId();
    await putProduct(w, id);
    await postReview(w, id, { rating: 3, author: "A", body: "B" });
    expect((await w.fetch(`/products/${id}`)).status).toBe(200);
    const res = await w.fetch(`/products/${id}`, {
      method: "DELETE",
      headers: writeHeaders({ "If-Match": '"1"' }),
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(await persistedFor(id)).toMatchObject({ product: null, reviews: 0 });
    const after = await w.fetch(`/products/${id}`);
    expect(after.status).toBe(404);
  });
});

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
    // "0…" sorts before every id created by these tests, so it lands on the cached first page.
    const id = `0${newId()}`;
    await putProduct(w, id);
    const after = (await (await w.fetch("/products")).json()) as { items: Product[] };
    expect(after.items[0]?.id).toBe(id);
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
  it("is an OpenAPI 3.1 document of every endpoint, with shapes from the zod schemas", async () => {
    const res = await w.fetch("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: {
        schemas: Record<string, { required?: string[]; additionalProperties?: boolean }>;
      };
    };
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => k !== "parameters")
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /products",
        "GET /products/{id}",
        "PUT /products/{id}",
        "PATCH /products/{id}",
        "DELETE /products/{id}",
        "GET /products/{id}/reviews",
        "POST /products/{id}/reviews",
        "GET /healthz",
        "GET /openapi.json",
      ].sort(),
    );
    expect(doc.components.schemas.ProductInput?.required).toEqual(["name", "priceCents"]);
    expect(doc.components.schemas.ProductInput?.additionalProperties).toBe(false);
    expect(doc.components.schemas.Product?.required).toContain("rating");
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["Product", "Review", "ReviewList", "ProductPage", "Health", "Error"]),
    );
  });
});
