/**
 * Writes store their own state in the cache (the next reads hit, nobody waits for Postgres), and
 * answer a `Bookmark` that a later read can send to see that write or a newer one (rule 8).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getFaults, resetFaults, setDbFaults } from "../support/faults";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import {
  expectError,
  newId,
  type Product,
  postReview,
  putProduct,
  redis,
  startApi,
  writeHeaders,
} from "./helpers";

const stack = inject("stack");
let group: WorkerGroup;
let a: WorkerHandle;
let b: WorkerHandle;
beforeAll(async () => {
  group = await startApi({}, 2);
  [a, b] = group.workers as [WorkerHandle, WorkerHandle];
});
afterAll(async () => {
  await resetFaults();
  await group.dispose();
});

const productKey = (id: string) => `${stack.cacheKeyPrefix}:product:${id}`;
const patch = (w: WorkerHandle, id: string, body: Record<string, unknown>, headers = {}) =>
  w.fetch(`/products/${id}`, {
    method: "PATCH",
    headers: writeHeaders(headers),
    body: JSON.stringify(body),
  });

/** A product that is cached (its absence was probed, so the create stores it). */
async function cachedProduct(): Promise<string> {
  const id = newId("wf");
  expect((await a.fetch(`/products/${id}`)).status).toBe(404);
  expect((await putProduct(a, id)).status).toBe(201);
  expect((await a.fetch(`/products/${id}`)).headers.get("X-Cache")).toBe("HIT");
  return id;
}

/** Runs `reads` while every product read that reaches Postgres fails (and is counted). */
async function withoutProductLoads<T>(reads: () => Promise<T>): Promise<T> {
  await setDbFaults({ mode: "error", match: ['AS "wanted" left join "products"'] });
  const before = (await getFaults()).db.applied?.error ?? 0;
  try {
    return await reads();
  } finally {
    const after = (await getFaults()).db.applied?.error ?? 0;
    await resetFaults();
    expect(after - before).toBe(0);
  }
}

describe("writer fills", () => {
  it("make every isolate's next read of a written product a hit on the new state, with no load", async () => {
    const id = await cachedProduct();
    const res = await patch(a, id, { stock: 3 });
    expect(res.status).toBe(200);
    await withoutProductLoads(async () => {
      for (const w of [a, b]) {
        const read = await w.fetch(`/products/${id}`);
        expect(read.headers.get("X-Cache")).toBe("HIT");
        expect(((await read.json()) as Product).stock).toBe(3);
      }
    });
  });

  it("store the new rating after a review, and leave the review list to load once", async () => {
    const id = await cachedProduct();
    expect((await a.fetch(`/products/${id}/reviews`)).headers.get("X-Cache")).toBe("MISS");
    const review = await postReview(a, id, { rating: 4, author: "Ana", body: "Fine" });
    expect(review.status).toBe(201);
    await withoutProductLoads(async () => {
      const read = await b.fetch(`/products/${id}`);
      expect(read.headers.get("X-Cache")).toBe("HIT");
      expect(((await read.json()) as Product).rating).toEqual({ count: 1, average: 4 });
    });
    const list = await b.fetch(`/products/${id}/reviews`);
    expect(list.headers.get("X-Cache")).toBe("MISS");
    expect(((await list.json()) as { count: number }).count).toBe(1);
  });

  it("store the absence of a deleted product for both isolates", async () => {
    const id = await cachedProduct();
    const del = await a.fetch(`/products/${id}`, { method: "DELETE", headers: writeHeaders() });
    expect(del.status).toBe(204);
    await withoutProductLoads(async () => {
      const read = await b.fetch(`/products/${id}`);
      expect([read.status, read.headers.get("X-Cache")]).toEqual([404, "HIT"]);
    });
  });

  it("never replace a newer state with an older one when two writes' calls arrive out of order", async () => {
    const id = await cachedProduct();
    await patch(a, id, { stock: 5 });
    const newer = (await redis(["GET", productKey(id)])) as string;
    await patch(a, id, { stock: 6 });
    // Put the older state back as if its writer's call had only just arrived: a fresh write's
    // fill must still win over it, and the older one cannot win over the newer.
    await redis(["SET", productKey(id), newer, "PX", 300_000]);
    await patch(b, id, { stock: 7 });
    const read = await a.fetch(`/products/${id}`);
    expect(((await read.json()) as Product).stock).toBe(7);
  });
});

describe("bookmarks", () => {
  it("come with every 2xx write: opaque, at most 512 bytes, exposed to browsers", async () => {
    const id = newId("bm");
    const created = await putProduct(a, id);
    const review = await postReview(a, id, { rating: 5, author: "Bo", body: "Great" });
    const deleted = await a.fetch(`/products/${id}`, { method: "DELETE", headers: writeHeaders() });
    for (const res of [created, review, deleted]) {
      const bookmark = res.headers.get("Bookmark") ?? "";
      expect(bookmark).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(bookmark.length).toBeLessThanOrEqual(512);
    }
    const failed = await patch(a, newId("bm"), { stock: 1 });
    expect(failed.status).toBe(404);
    expect(failed.headers.get("Bookmark")).toBeNull();
  });

  it("make a read see the write even where the cache still holds an older state", async () => {
    const id = await cachedProduct();
    const older = (await redis(["GET", productKey(id)])) as string;
    const write = await patch(a, id, { stock: 9 });
    const bookmark = write.headers.get("Bookmark") ?? "";
    // A read region that has not caught up (or a Redis restored from an older snapshot) still
    // holds the old entry.
    await redis(["SET", productKey(id), older, "PX", 300_000]);
    const plain = await b.fetch(`/products/${id}`);
    expect(((await plain.json()) as Product).stock).toBe(12);

    const bookmarked = await b.fetch(`/products/${id}`, { headers: { Bookmark: bookmark } });
    expect(bookmarked.headers.get("X-Cache")).toBe("MISS");
    expect(((await bookmarked.json()) as Product).stock).toBe(9);
    // The load stored the newer state: the plain read now sees it too.
    const after = await b.fetch(`/products/${id}`);
    expect(((await after.json()) as Product).stock).toBe(9);
  });

  it("of one product leave reads of another product alone", async () => {
    const id = await cachedProduct();
    const other = await cachedProduct();
    const bookmark = (await patch(a, id, { stock: 2 })).headers.get("Bookmark") ?? "";
    const read = await b.fetch(`/products/${other}`, { headers: { Bookmark: bookmark } });
    expect([read.status, read.headers.get("X-Cache")]).toEqual([200, "HIT"]);
  });

  it.each([
    ["garbage", "not a bookmark"],
    ["a truncated bookmark", "b1.eyJr"],
    ["an oversized one", `b1.${"A".repeat(600)}.${"B".repeat(43)}`],
  ])("answer %s with 400 validation_failed, touching nothing", async (_, value) => {
    const res = await a.fetch(`/products/${newId()}`, { headers: { Bookmark: value } });
    await expectError(res, 400, "validation_failed");
  });

  it("issued by another deployment are ignored", async () => {
    const id = await cachedProduct();
    const group2 = await startApi({ API_TOKEN: "another-deployment-token" });
    try {
      const [elsewhere] = group2.workers as [WorkerHandle];
      const foreign = await elsewhere.fetch(`/products/${id}`, {
        method: "PATCH",
        headers: { ...writeHeaders(), authorization: "Bearer another-deployment-token" },
        body: JSON.stringify({ stock: 4 }),
      });
      const bookmark = foreign.headers.get("Bookmark") ?? "";
      expect(bookmark).not.toBe("");
      const read = await a.fetch(`/products/${id}`, { headers: { Bookmark: bookmark } });
      expect([read.status, read.headers.get("X-Cache")]).toEqual([200, "HIT"]);
    } finally {
      await group2.dispose();
    }
  });
});
