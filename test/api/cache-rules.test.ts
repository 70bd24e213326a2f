/**
 * docs/api.md rule 3 (one load per stampede) and the `STALE` value of `X-Cache` (rule 5 and stale-while-
 * revalidate), observed through the HTTP API.
 */
import { afterEach, describe, expect, it } from "vitest";
import { getFaults, resetFaults, setDbFaults } from "../support/faults";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import { newId, type Product, putProduct, sql, startApi, waitFor, writeHeaders } from "./helpers";

let group: WorkerGroup | undefined;

afterEach(async () => {
  await resetFaults();
  await group?.dispose();
  group = undefined;
});

/** The single-product read (the Neon server's `match` is a substring of the SQL text). */
const PRODUCT_READ_SQL = 'AS "wanted" left join "products"';

describe("one load per stampede (rule 3)", () => {
  it("sends Postgres one query when 20 requests in two isolates want the same cold product", async () => {
    group = await startApi({}, 2);
    const [a, b] = group.workers as [WorkerHandle, WorkerHandle];
    const id = newId();
    await putProduct(a, id); // the PUT leaves the product uncached

    // Hold the first load at the Neon server until every request is under way.
    await setDbFaults({ mode: "hang", match: [PRODUCT_READ_SQL] });
    const before = (await getFaults()).db.applied ?? {};
    const reads = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? a : b).fetch(`/products/${id}`),
    );
    expect(
      await waitFor(
        async () => ((await getFaults()).db.applied?.hang ?? 0) > (before.hang ?? 0),
        3000,
      ),
    ).toBe(true);
    // Release the held load; from now on any further load of it would fail (and be counted).
    await setDbFaults({ mode: "error", match: [PRODUCT_READ_SQL] });

    const responses = await Promise.all(reads);
    const after = (await getFaults()).db.applied ?? {};
    expect((after.hang ?? 0) - (before.hang ?? 0)).toBe(1);
    expect((after.error ?? 0) - (before.error ?? 0)).toBe(0);
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const versions = await Promise.all(
      responses.map(async (r) => ((await r.json()) as Product).version),
    );
    expect(new Set(versions)).toEqual(new Set([1]));
  });
});

describe("X-Cache: STALE", () => {
  it("serves an expired entry at once while one refresh loads the new value", async () => {
    group = await startApi({ CACHE_TTL_SECONDS: "1", STALE_TTL_SECONDS: "60" });
    const w = group.workers[0] as WorkerHandle;
    const id = newId();
    await putProduct(w, id);
    expect((await w.fetch(`/products/${id}`)).headers.get("X-Cache")).toBe("MISS");
    // Changed behind the API's back, so only a refresh can reveal it.
    await sql("UPDATE products SET stock = 42, version = version + 1 WHERE id = $1", [id]);

    let stale: { version: number } | undefined;
    expect(
      await waitFor(async () => {
        const res = await w.fetch(`/products/${id}`);
        if (res.headers.get("X-Cache") === "STALE") {
          stale = (await res.json()) as Product;
          return true;
        }
        return false;
      }, 4000),
    ).toBe(true);
    expect(stale?.version).toBe(1);
    // The background refresh fills the new row.
    expect(
      await waitFor(async () => {
        const res = await w.fetch(`/products/${id}`);
        return (
          ((await res.json()) as Product).version === 2 && res.headers.get("X-Cache") === "HIT"
        );
      }, 4000),
    ).toBe(true);
  });

  it("keeps serving an expired entry while Postgres is down", async () => {
    group = await startApi({ CACHE_TTL_SECONDS: "1", STALE_TTL_SECONDS: "60" });
    const w = group.workers[0] as WorkerHandle;
    const id = newId();
    await putProduct(w, id);
    await w.fetch(`/products/${id}`);
    await setDbFaults({ mode: "refuse" });
    expect(
      await waitFor(
        async () => (await w.fetch(`/products/${id}`)).headers.get("X-Cache") === "STALE",
        4000,
      ),
    ).toBe(true);
    const again = await w.fetch(`/products/${id}`);
    expect(again.status).toBe(200);
    expect(again.headers.get("X-Cache")).toMatch(/^(STALE|HIT)$/);
    // A write still cannot happen, and says so.
    const write = await w.fetch(`/products/${id}`, {
      method: "PATCH",
      headers: writeHeaders(),
      body: JSON.stringify({ stock: 1 }),
    });
    expect(write.status).toBe(503);
  });
});
