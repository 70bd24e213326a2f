/**
 * Drills: a lock holder that dies before filling, a request cancelled by its client mid-fill, and
 * a runtime killed mid-fill (docs/fault-drills.md). Waiters stay within their budget
 * and make at most one extra load per isolate; a value is either fully set or absent, never torn;
 * no lock outlives LOCK_TTL_SECONDS; the next request after the lock is gone fills the cache.
 */
import { describe, expect, it } from "vitest";
import { newId, redis, waitFor } from "../api/helpers";
import { setDbFaults } from "../support/faults";
import {
  type Api,
  cachedVersion,
  dbHangCount,
  productKey,
  put,
  read,
  useDrills,
  waitForDbHangs,
} from "./drill-support";

const LOCK_TTL_SECONDS = 3;
const PRODUCT_LOAD = 'AS "wanted" left join "products"';

const drills = useDrills({ LOCK_TTL_SECONDS: String(LOCK_TTL_SECONDS) });

const lockKey = (id: string) => `${productKey(id)}:lock`;

async function lockGone(id: string): Promise<void> {
  // The TTL bounds it; a little slack for a loaded machine.
  const gone = await waitFor(
    async () => (await redis(["EXISTS", lockKey(id)])) === 0,
    LOCK_TTL_SECONDS * 1000 + 1000,
  );
  expect(gone, "the lock to go").toBe(true);
}

/** After the lock is gone, the next read loads and fills, and the one after is a hit. */
async function fillsAgain(w: Api, id: string): Promise<void> {
  expect(await read(w, id)).toMatchObject({ status: 200, xCache: "MISS", version: 1 });
  expect(await waitFor(async () => (await cachedVersion(id)) === 1), "the fill").toBe(true);
  expect(await read(w, id)).toMatchObject({ status: 200, xCache: "HIT", version: 1 });
}

describe("drill: the lock holder dies before filling", () => {
  it("bounds the waiters, loads once per isolate, and fills after the lock expires", async () => {
    const [a, b] = (await drills.isolates(2)) as [Api, Api];
    const id = newId("dead-holder");
    expect((await put(a, id)).status).toBe(201);
    // A holder that took the lock and died: nobody will ever fill or release it.
    expect(
      await redis(["SET", lockKey(id), "dead-request-token", "NX", "EX", LOCK_TTL_SECONDS]),
    ).toBe("OK");
    const base = await dbHangCount();
    // Hold the loads briefly so that every load that happens is counted.
    await setDbFaults({ mode: "hang", match: [PRODUCT_LOAD] });

    const waiters = [a, b].flatMap((w) => Array.from({ length: 5 }, () => read(w, id)));
    await waitForDbHangs(base + 2);
    await new Promise((r) => setTimeout(r, 300));
    const loads = (await dbHangCount()) - base;
    await setDbFaults({ mode: "none", match: [] });
    const answers = await Promise.all(waiters);

    // One extra load per isolate (its waiters share it), not one per waiting request.
    expect(loads).toBe(2);
    expect(answers.map((x) => [x.status, x.version])).toEqual(answers.map(() => [200, 1]));
    // Waiters give up polling well before the lock's TTL.
    expect(Math.max(...answers.map((x) => x.ms))).toBeLessThan(LOCK_TTL_SECONDS * 1000);
    // Loads made without the lease fill nothing, and the dead holder's lock is untouched.
    expect(await cachedVersion(id)).toBeNull();
    expect(await redis(["GET", lockKey(id)])).toBe("dead-request-token");

    await lockGone(id);
    await fillsAgain(a, id);
  }, 15_000);
});

describe("drill: a request cancelled mid-fill", () => {
  it("leaves the value fully set or absent and no lock behind", async () => {
    const [w] = (await drills.isolates()) as [Api];
    const id = newId("cancelled");
    expect((await put(w, id)).status).toBe(201);
    const base = await dbHangCount();
    await setDbFaults({ mode: "hang", match: [PRODUCT_LOAD] });

    const client = new AbortController();
    const cancelled = w.fetch(`/products/${id}`, { signal: client.signal }).then(
      () => "answered",
      () => "cancelled",
    );
    // The request holds the lease and its load is in Postgres: cut it there.
    await waitForDbHangs(base + 1);
    expect(await redis(["EXISTS", lockKey(id)])).toBe(1);
    client.abort();
    expect(await cancelled).toBe("cancelled");
    await setDbFaults({ mode: "none", match: [] });

    await lockGone(id);
    // Fully set (the fill ran in waitUntil) or absent (it did not): cachedVersion throws if torn.
    expect([1, null]).toContain(await cachedVersion(id));
    expect(await read(w, id)).toMatchObject({ status: 200, version: 1 });
  }, 15_000);
});

describe("drill: the runtime dies mid-fill", () => {
  it("leaves no value and a lock that expires within LOCK_TTL; others are answered meanwhile", async () => {
    const [doomed] = (await drills.isolates()) as [Api];
    const [next] = (await drills.isolates()) as [Api];
    const id = newId("killed");
    expect((await put(next, id)).status).toBe(201);
    const base = await dbHangCount();
    await setDbFaults({ mode: "hang", match: [PRODUCT_LOAD] });

    const lost = doomed.fetch(`/products/${id}`).catch(() => "killed");
    await waitForDbHangs(base + 1);
    // workerd goes away with the request's lease taken and its load in flight.
    await drills.kill(doomed);
    await lost;
    await setDbFaults({ mode: "none", match: [] });

    const ttl = Number(await redis(["PTTL", lockKey(id)]));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(LOCK_TTL_SECONDS * 1000);
    expect(await cachedVersion(id)).toBeNull();
    // Meanwhile another isolate answers (after its bounded wait, from Postgres, filling nothing).
    const meanwhile = await read(next, id);
    expect([meanwhile.status, meanwhile.version]).toEqual([200, 1]);
    expect(meanwhile.ms).toBeLessThan(LOCK_TTL_SECONDS * 1000);

    await lockGone(id);
    await fillsAgain(next, id);
  }, 15_000);
});
