/**
 * Drills: a lock holder that dies before filling, a request cancelled by its client mid-fill, and
 * a runtime killed mid-fill (docs/fault-drills.md). Waiters stay within their budget
 * and make at most one extra load per isolate; a value is either fully set or absent, never torn;
 * no lock outlives LOCK_TTL_SECONDS; the next request after the lock is gone fills the cache.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Isolates } from "../../check/consistency/isolates";
import { resetFaults, setDbFaults } from "../support/faults";
import {
  type Api,
  cachedVersion,
  closeBackdoors,
  dbHangCount,
  newId,
  productKey,
  put,
  read,
  redis,
  startApi,
  waitFor,
  waitForDbHangs,
} from "./drill-support";

const LOCK_TTL_SECONDS = 3;
const PRODUCT_LOAD = 'AS "wanted" left join "products"';

let groups: Isolates[] = [];

async function isolates(count = 1): Promise<Isolates> {
  const group = await startApi({ LOCK_TTL_SECONDS: String(LOCK_TTL_SECONDS) }, count);
  groups.push(group);
  return group;
}

afterEach(async () => {
  await resetFaults();
  await Promise.all(groups.splice(0).map((g) => g.dispose()));
});
afterAll(() => closeBackdoors());

const lockKey = (id: string) => `${productKey(id)}:lock`;

async function lockGone(id: string): Promise<void> {
  // The TTL bounds it; a little slack for a loaded machine.
  await waitFor(
    "the lock to go",
    async () => (await redis("EXISTS", lockKey(id))) === 0,
    LOCK_TTL_SECONDS * 1000 + 1000,
  );
}

/** After the lock is gone, the next read loads and fills, and the one after is a hit. */
async function fillsAgain(w: Api, id: string): Promise<void> {
  expect(await read(w, id)).toMatchObject({ status: 200, xCache: "MISS", version: 1 });
  await waitFor("the fill", async () => (await cachedVersion(id)) === 1);
  expect(await read(w, id)).toMatchObject({ status: 200, xCache: "HIT", version: 1 });
}

describe("drill: the lock holder dies before filling", () => {
  it("bounds the waiters, loads once per isolate, and fills after the lock expires", async () => {
    const group = await isolates(2);
    const [a, b] = group.targets as [Api, Api];
    const id = newId("dead-holder");
    expect((await put(a, id)).status).toBe(201);
    // A holder that took the lock and died: nobody will ever fill or release it.
    expect(
      await redis("SET", lockKey(id), "dead-request-token", "NX", "EX", String(LOCK_TTL_SECONDS)),
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
    expect(await redis("GET", lockKey(id))).toBe("dead-request-token");

    await lockGone(id);
    await fillsAgain(a, id);
  }, 15_000);
});

describe("drill: a request cancelled mid-fill", () => {
  it("leaves the value fully set or absent and no lock behind", async () => {
    const group = await isolates();
    const [w] = group.targets as [Api];
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
    expect(await redis("EXISTS", lockKey(id))).toBe(1);
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
    const doomed = await isolates();
    const survivor = await isolates();
    const [next] = survivor.targets as [Api];
    const id = newId("killed");
    expect((await put(next, id)).status).toBe(201);
    const base = await dbHangCount();
    await setDbFaults({ mode: "hang", match: [PRODUCT_LOAD] });

    const lost = doomed.targets[0]?.fetch(`/products/${id}`).catch(() => "killed");
    await waitForDbHangs(base + 1);
    // workerd goes away with the request's lease taken and its load in flight.
    await doomed.dispose();
    groups = groups.filter((g) => g !== doomed);
    await lost;
    await setDbFaults({ mode: "none", match: [] });

    const ttl = Number(await redis("PTTL", lockKey(id)));
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
