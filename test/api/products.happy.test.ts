/**
 * The success rows of docs/api.md's endpoint table for `/products/:id`, with the headers each must carry.
 * Review lists, pages, health and OpenAPI are in `collections.happy.test.ts`.
 */
import { describe, expect, it } from "vitest";
import {
  newId,
  type Product,
  persistedFor,
  postReview,
  productBody,
  putProduct,
  useApi,
  writeHeaders,
} from "./helpers";

const w = useApi();

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
