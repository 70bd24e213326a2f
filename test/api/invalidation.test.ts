/**
 * docs/api.md "Cache behaviour that clients can rely on", rules 1, 2 and 4 (invalidation side):
 * cached misses, read-after-write under concurrent readers, and invalidations that survive Redis
 * failures through the outbox (background retries, then the Cron drain).
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { getFaults, resetFaults, setDbFaults, setRedisFaults } from "../support/faults";
import type { WorkerHandle } from "../support/worker";
import {
  newId,
  type Product,
  postReview,
  putProduct,
  redis,
  redisKeysFor,
  sql,
  startApi,
  startApiWithOwnDatabase,
  stateOf,
  useApi,
  waitFor,
  writeHeaders,
} from "./helpers";

const stack = inject("stack");
const w = useApi();
afterEach(resetFaults);

const productKey = (id: string) => `${stack.cacheKeyPrefix}:product:${id}`;
const patch = (worker: WorkerHandle, id: string, body: Record<string, unknown>) =>
  worker.fetch(`/products/${id}`, {
    method: "PATCH",
    headers: writeHeaders(),
    body: JSON.stringify(body),
  });

/** The SQL of the single-product read (Neon fault `match` is a substring of the query text). */
const PRODUCT_READ_SQL = 'AS "wanted" left join "products"';

describe("cached misses (rule 2)", () => {
  it("answers repeated GETs of an absent id from Redis: Postgres sees one query", async () => {
    const id = newId();
    const first = await w.fetch(`/products/${id}`);
    expect([first.status, first.headers.get("X-Cache")]).toEqual([404, "MISS"]);

    // From now on every product read that reaches Postgres fails, and the Neon server counts it.
    await setDbFaults({ mode: "error", match: [PRODUCT_READ_SQL] });
    const before = (await getFaults()).db.applied?.error ?? 0;
    for (let i = 0; i < 5; i++) {
      const again = await w.fetch(`/products/${id}`);
      expect([again.status, again.headers.get("X-Cache")]).toEqual([404, "HIT"]);
    }
    expect((await getFaults()).db.applied?.error ?? 0).toBe(before);

    // The counter does count: an id that is not cached reaches Postgres (and fails).
    expect((await w.fetch(`/products/${newId()}`)).status).toBe(500);
    expect((await getFaults()).db.applied?.error ?? 0).toBe(before + 1);
  });

  it("shows a product created by PUT at once, although its absence was cached", async () => {
    const id = newId();
    expect((await w.fetch(`/products/${id}`)).status).toBe(404);
    expect((await w.fetch(`/products/${id}`)).headers.get("X-Cache")).toBe("HIT");
    expect((await putProduct(w, id)).status).toBe(201);
    const after = await w.fetch(`/products/${id}`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as Product).version).toBe(1);
  });

  it("shows a row inserted behind the API's back once NEGATIVE_TTL_SECONDS passed", async () => {
    const short = await startApi({ NEGATIVE_TTL_SECONDS: "1" });
    try {
      const sw = short.workers[0] as WorkerHandle;
      const id = newId();
      expect((await sw.fetch(`/products/${id}`)).status).toBe(404);
      const insertedAt = Date.now();
      await sql("INSERT INTO products (id, name, price_cents) VALUES ($1, 'direct', 1)", [id]);
      expect((await sw.fetch(`/products/${id}`)).headers.get("X-Cache")).toBe("HIT");
      const visible = await waitFor(
        async () => (await sw.fetch(`/products/${id}`)).status === 200,
        4000,
      );
      expect(visible).toBe(true);
      // 1 s of negative TTL plus scheduling slack; well under the 30 s default.
      expect(Date.now() - insertedAt).toBeLessThan(3000);
    } finally {
      await short.dispose();
    }
  });
});

describe("read-after-write (rule 1)", () => {
  it("never answers a read that started after a write's 2xx with an older version, with concurrent readers in two isolates", async () => {
    const pair = await startApi({}, 2);
    try {
      const [a, b] = pair.workers as [WorkerHandle, WorkerHandle];
      const id = newId();
      await putProduct(a, id);
      // Jitter on every Redis and Postgres request reorders fills and invalidations.
      await setRedisFaults({ jitterMs: 25 });
      await setDbFaults({ jitterMs: 15 });

      const writes: { done: number; version: number }[] = [];
      const reads: { start: number; version: number; status: number }[] = [];
      let writing = true;
      const reader = async (worker: WorkerHandle) => {
        // Keep reading past the last write until the history has enough reads to mean something.
        while (writing || reads.length < 30) {
          const start = performance.now();
          const res = await worker.fetch(`/products/${id}`);
          const version = res.status === 200 ? ((await res.json()) as Product).version : -1;
          reads.push({ start, version, status: res.status });
        }
      };
      const writer = async () => {
        for (let i = 1; i <= 6; i++) {
          const res = await patch(i % 2 === 0 ? a : b, id, { stock: i });
          expect(res.status).toBe(200);
          writes.push({
            done: performance.now(),
            version: ((await res.json()) as Product).version,
          });
        }
        writing = false;
      };
      await Promise.all([writer(), ...[a, b, a, b, a, b].map(reader)]);

      expect(reads.length).toBeGreaterThan(20);
      expect(reads.every((r) => r.status === 200)).toBe(true);
      for (const read of reads) {
        const floor = Math.max(
          1,
          ...writes.filter((wr) => wr.done < read.start).map((wr) => wr.version),
        );
        expect(read.version).toBeGreaterThanOrEqual(floor);
      }
      await resetFaults();
      for (const worker of [a, b]) {
        expect(((await (await worker.fetch(`/products/${id}`)).json()) as Product).version).toBe(7);
      }
    } finally {
      await pair.dispose();
    }
  });

  it("invalidates the product, its review list and the product pages when a review is added", async () => {
    const own = await startApiWithOwnDatabase("pages_review");
    const w = own.worker;
    try {
      const id = newId(); // the only product of this database
      await putProduct(w, id);
      await w.fetch(`/products/${id}`);
      await w.fetch(`/products/${id}/reviews`);
      await w.fetch("/products?limit=5");
      expect((await w.fetch("/products?limit=5")).headers.get("X-Cache")).toBe("HIT");

      expect((await postReview(w, id, { rating: 2, author: "a", body: "b" })).status).toBe(201);
      const product = (await (await w.fetch(`/products/${id}`)).json()) as Product;
      expect(product.rating.count).toBe(1);
      const reviews = (await (await w.fetch(`/products/${id}/reviews`)).json()) as {
        count: number;
      };
      expect(reviews.count).toBe(1);
      const page = await w.fetch("/products?limit=5");
      expect(page.headers.get("X-Cache")).toBe("MISS");
      const first = ((await page.json()) as { items: Product[] }).items[0];
      expect(first?.rating.count).toBe(1);
    } finally {
      await own.dispose();
    }
  });
});

describe("durable invalidation (rule 4)", () => {
  /** Creates a product, caches it, and returns its id. */
  async function cachedProduct(): Promise<string> {
    const id = newId();
    await putProduct(w, id);
    // The miss fills in the background: on a busy machine the next read may still come first.
    const hit = async () => (await w.fetch(`/products/${id}`)).headers.get("X-Cache") === "HIT";
    expect(await waitFor(hit), "the product is cached").toBe(true);
    return id;
  }

  it("acknowledges a write whose invalidation failed and retries it until applied", async () => {
    const id = await cachedProduct();
    await setRedisFaults({ mode: "error", match: ["EVAL"] });
    const res = await patch(w, id, { stock: 7 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Product).version).toBe(2);
    // The inline invalidation did not happen: the old entry is still in Redis, the outbox row kept.
    expect(await redis(["EXISTS", productKey(id)])).toBe(1);
    expect((await stateOf(id)).outboxIds).toHaveLength(1);
    expect((await getFaults()).redis.applied?.error ?? 0).toBeGreaterThan(0);

    await resetFaults();
    // Background retries run 100 ms, 1 s and 5 s after the write; the retry stores the written state.
    const applied = await waitFor(async () => (await stateOf(id)).outboxIds.length === 0, 8000);
    expect(applied).toBe(true);
    const after = await w.fetch(`/products/${id}`);
    expect(after.headers.get("X-Cache")).toBe("HIT");
    expect(((await after.json()) as Product).version).toBe(2);
  });

  it("retries an invalidation whose reply was lost, and marks its outbox row applied once confirmed", async () => {
    const id = await cachedProduct();
    await setRedisFaults({ mode: "lost-response", match: ["EVAL"] });
    const res = await patch(w, id, { stock: 8 });
    expect(res.status).toBe(200);
    // Applied by Redis (the written state is stored), but the Worker never heard so: the row
    // stays pending until a retry is confirmed.
    expect((await stateOf(id)).outboxIds).toHaveLength(1);
    await resetFaults();
    const stored = await w.fetch(`/products/${id}`);
    expect(stored.headers.get("X-Cache")).toBe("HIT");
    expect(((await stored.json()) as Product).version).toBe(2);
    expect(await waitFor(async () => (await stateOf(id)).outboxIds.length === 0, 8000)).toBe(true);
  });

  it("lets the Cron drain apply what is left in the outbox", async () => {
    const id = await cachedProduct();
    await sql("INSERT INTO outbox (keys, groups) VALUES ($1, '{}')", [[productKey(id)]]);
    expect((await stateOf(id)).outboxIds).toHaveLength(1);
    await w.scheduled();
    expect(await redis(["EXISTS", productKey(id)])).toBe(0);
    expect((await stateOf(id)).outboxIds).toEqual([]);
  });

  it("keeps outbox rows while Redis is down during a drain, then applies them", async () => {
    const id = await cachedProduct();
    const [row] = await sql<{ id: string }>(
      "INSERT INTO outbox (keys, groups) VALUES ($1, '{}') RETURNING id",
      [[productKey(id)]],
    );
    await setRedisFaults({ mode: "refuse" });
    await w.scheduled();
    const [kept] = await sql<{ attempts: number }>("SELECT attempts FROM outbox WHERE id = $1", [
      row?.id,
    ]);
    expect(kept?.attempts).toBeGreaterThanOrEqual(1);
    await resetFaults();
    await w.scheduled();
    expect(
      await sql("SELECT 1 FROM outbox WHERE id = $1 AND applied_at IS NOT NULL", [row?.id]),
    ).toHaveLength(1);
    expect(await redisKeysFor(id)).not.toContain(productKey(id));
  });
});
