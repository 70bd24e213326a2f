/**
 * Drills: Postgres slow and Postgres down (docs/api.md rules 3 and 5). A slow Postgres makes misses
 * slower but still correct, with one load per stampede; hits do not notice. A Postgres that is
 * down leaves cached entries served (HIT, or STALE past their fresh period) and answers the rest
 * 503 with Retry-After, writes included — and nothing changes, in Postgres or in the cache.
 */
import { describe, expect, it } from "vitest";
import { newId, redis } from "../api/helpers";
import { resetFaults, setDbFaults } from "../support/faults";
import {
  type Api,
  cachedVersion,
  call,
  dbHangCount,
  persisted,
  productKey,
  put,
  read,
  useDrills,
  waitForDbHangs,
} from "./drill-support";

/** Matches the product load (`select … from "products" where …`), not the writes' statements. */
const PRODUCT_LOAD = 'AS "wanted" left join "products"';

const { isolates } = useDrills();

async function created(w: Api, tag: string): Promise<string> {
  const id = newId(tag);
  expect((await put(w, id)).status).toBe(201);
  return id;
}

async function cached(w: Api, tag: string): Promise<string> {
  const id = await created(w, tag);
  await read(w, id);
  expect(await read(w, id)).toMatchObject({ status: 200, xCache: "HIT", version: 1 });
  return id;
}

describe("drill: Postgres slow", () => {
  it("keeps hits fast and answers a stampede across isolates with one slow load", async () => {
    const [a, b] = (await isolates(2)) as [Api, Api];
    const hot = await cached(a, "pg-slow-hit");
    const cold = await created(a, "pg-slow-miss");
    const base = await dbHangCount();
    // Every product load is held until released: Postgres answers loads only after 400 ms.
    await setDbFaults({ mode: "hang", match: [PRODUCT_LOAD] });

    const hit = await read(a, hot);
    expect([hit.status, hit.xCache, hit.version]).toEqual([200, "HIT", 1]);

    const started = performance.now();
    const stampede = [a, b].flatMap((w) => Array.from({ length: 6 }, () => read(w, cold)));
    await waitForDbHangs(base + 1);
    // Shorter than a waiter's polling budget (~620–800 ms), so no waiter falls back to Postgres.
    await new Promise((r) => setTimeout(r, 400 - (performance.now() - started)));
    expect(await dbHangCount()).toBe(base + 1);
    await setDbFaults({ mode: "none", match: [] });
    const answers = await Promise.all(stampede);

    expect(answers.map((x) => [x.status, x.version])).toEqual(answers.map(() => [200, 1]));
    expect(Math.min(...answers.map((x) => x.ms))).toBeGreaterThanOrEqual(380);
    // One load for twelve requests on two isolates: the rest waited for the fill.
    expect(await dbHangCount()).toBe(base + 1);
    expect(answers.filter((x) => x.xCache === "HIT").length).toBeGreaterThan(0);
    expect(await cachedVersion(cold)).toBe(1);
    expect(await read(b, cold)).toMatchObject({ xCache: "HIT", version: 1 });
  });
});

describe("drill: Postgres down", () => {
  it("serves cached entries (HIT, STALE), answers the rest 503, and changes nothing", async () => {
    const [w] = (await isolates()) as [Api];
    const hot = await cached(w, "pg-down-hit");
    const aging = await cached(w, "pg-down-stale");
    const uncached = await created(w, "pg-down-miss");
    const absent = newId("pg-down-absent");
    // Into the stale window (STALE_TTL_SECONDS = 60 s after the fresh period): served as STALE.
    expect(await redis(["PEXPIRE", productKey(aging), 30000])).toBe(1);

    await setDbFaults({ mode: "refuse" });

    expect(await read(w, hot)).toMatchObject({ status: 200, xCache: "HIT", version: 1 });
    expect(await read(w, aging)).toMatchObject({ status: 200, xCache: "STALE", version: 1 });
    for (const answer of [
      await read(w, uncached),
      await put(w, hot, 7),
      await call(w, "PATCH", hot, { stock: 8 }),
      await call(w, "DELETE", hot),
      await put(w, absent, 9),
    ]) {
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "service_unavailable" } });
    }

    // Nothing changed: not Postgres, not the outbox, not the cache.
    expect(await persisted(hot)).toEqual({ version: 1, stock: 1, outbox: 0 });
    expect(await persisted(absent)).toEqual({ version: null, stock: null, outbox: 0 });
    expect(await cachedVersion(hot)).toBe(1);
    await resetFaults();
    expect(await read(w, hot)).toMatchObject({ status: 200, xCache: "HIT", version: 1 });
    expect(await read(w, absent)).toMatchObject({ status: 404 });
  });
});
