/**
 * docs/api.md rules 4 and 5: with Postgres down, cached entries are still served and everything else is
 * `503 service_unavailable` with `Retry-After`, changing nothing; with Redis down, reads and writes
 * still succeed from Postgres (`X-Cache: BYPASS`) and `/healthz` says `degraded`.
 * Each test gets fresh isolates: a Redis outage opens the isolate's circuit breaker.
 */
import { afterEach, describe, expect, it } from "vitest";
import { resetFaults, setDbFaults, setRedisFaults } from "../support/faults";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import {
  expectNothingPersisted,
  newId,
  postReview,
  productBody,
  putProduct,
  startApi,
  stateOf,
  waitFor,
  writeHeaders,
} from "./helpers";

let group: WorkerGroup | undefined;

async function fresh(bindings: Record<string, string> = {}): Promise<WorkerHandle> {
  group = await startApi(bindings);
  return group.workers[0] as WorkerHandle;
}

afterEach(async () => {
  await resetFaults();
  await group?.dispose();
  group = undefined;
});

type ErrorBody = { error: { code: string } };

async function expectUnavailable(res: {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}): Promise<void> {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
  expect(((await res.json()) as ErrorBody).error.code).toBe("service_unavailable");
}

describe("Postgres down (rule 5)", () => {
  it.each(["refuse", "http500"] as const)(
    "still serves cached entries and answers the rest 503 with Retry-After (%s)",
    async (mode) => {
      const w = await fresh();
      const cached = newId();
      await putProduct(w, cached);
      await w.fetch(`/products/${cached}`);
      await w.fetch(`/products/${cached}/reviews`);
      await w.fetch("/products?limit=3");

      await setDbFaults({ mode });
      const hit = await w.fetch(`/products/${cached}`);
      expect([hit.status, hit.headers.get("X-Cache")]).toEqual([200, "HIT"]);
      expect((await w.fetch(`/products/${cached}/reviews`)).status).toBe(200);
      expect((await w.fetch("/products?limit=3")).headers.get("X-Cache")).toBe("HIT");

      await expectUnavailable(await w.fetch(`/products/${newId()}`));
      await expectUnavailable(await w.fetch("/products?limit=4"));
      const health = await w.fetch("/healthz");
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: "degraded", db: "down", redis: "ok" });
    },
  );

  it("answers every write 503 and changes nothing, not even the cache", async () => {
    const w = await fresh();
    const existing = newId();
    await putProduct(w, existing);
    await w.fetch(`/products/${existing}`);
    const absent = newId();

    await setDbFaults({ mode: "refuse" });
    await expectNothingPersisted(absent, async () => {
      await expectUnavailable(await putProduct(w, absent));
    });
    await expectNothingPersisted(existing, async () => {
      await expectUnavailable(await putProduct(w, existing, productBody({ stock: 1 })));
      await expectUnavailable(
        await w.fetch(`/products/${existing}`, {
          method: "PATCH",
          headers: writeHeaders(),
          body: JSON.stringify({ stock: 2 }),
        }),
      );
      await expectUnavailable(
        await w.fetch(`/products/${existing}`, { method: "DELETE", headers: writeHeaders() }),
      );
      await expectUnavailable(await postReview(w, existing, { rating: 1, author: "a", body: "b" }));
    });
    // The cached copy was not invalidated by the failed writes.
    expect((await w.fetch(`/products/${existing}`)).headers.get("X-Cache")).toBe("HIT");
  });

  it("gives up on a hung Postgres within DB_TIMEOUT_MS", async () => {
    const w = await fresh({ DB_TIMEOUT_MS: "300" });
    await setDbFaults({ mode: "hang" });
    const started = Date.now();
    await expectUnavailable(await w.fetch(`/products/${newId()}`));
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("Redis down (rule 4)", () => {
  it.each(["refuse", "http500", "hang"] as const)(
    "answers reads from Postgres with X-Cache: BYPASS and acknowledges writes (%s)",
    async (mode) => {
      const w = await fresh();
      const id = newId();
      await putProduct(w, id);

      await setRedisFaults({ mode });
      const read = await w.fetch(`/products/${id}`);
      expect([read.status, read.headers.get("X-Cache")]).toEqual([200, "BYPASS"]);
      expect(read.headers.get("Server-Timing")).toMatch(/db;dur=/);
      expect((await w.fetch(`/products/${newId()}`)).headers.get("X-Cache")).toBe("BYPASS");

      // The rate limiter fails open; the write commits with its outbox row kept for later.
      const write = await w.fetch(`/products/${id}`, {
        method: "PATCH",
        headers: writeHeaders(),
        body: JSON.stringify({ stock: 5 }),
      });
      expect(write.status).toBe(200);
      expect((await stateOf(id)).product).toMatchObject({ version: 2, stock: 5 });
      expect((await stateOf(id)).outboxIds).toHaveLength(1);

      const health = await w.fetch("/healthz");
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "degraded", db: "ok", redis: "down" });

      // Once Redis is back, the Cron drain applies the pending invalidation.
      await resetFaults();
      await w.scheduled();
      expect(await waitFor(async () => (await stateOf(id)).outboxIds.length === 0, 3000)).toBe(
        true,
      );
    },
  );
});
