/**
 * Drills: Redis down, slow, and answering errors (API.md rule 4). Reads and writes keep working
 * from Postgres with `X-Cache: BYPASS`, each cache call giving up within its timeout; the writes'
 * invalidations stay in the outbox and are applied once Redis is back; nothing acknowledged is lost.
 * Every drill starts fresh isolates (an outage opens the isolate's circuit breaker).
 */
import { describe, expect, it } from "vitest";
import type { FaultSettings } from "../../emulators/shared/faults";
import { newId, waitFor } from "../api/helpers";
import { resetFaults, setRedisFaults } from "../support/faults";
import { type Api, cachedVersion, call, persisted, put, read, useDrills } from "./drill-support";

const drills = useDrills();

/** One fresh isolate with `bindings`. */
async function isolate(bindings: Record<string, string> = {}): Promise<Api> {
  const [w] = await drills.isolates(1, bindings);
  return w as Api;
}

/** A product at version 1, cached (the second read is a HIT). */
async function cachedProduct(w: Api, tag: string): Promise<string> {
  const id = newId(tag);
  expect((await put(w, id)).status).toBe(201);
  expect((await read(w, id)).xCache).toBe("MISS");
  expect(await read(w, id)).toMatchObject({ status: 200, xCache: "HIT", version: 1 });
  expect(await cachedVersion(id)).toBe(1);
  return id;
}

/**
 * The outage part every drill shares: reads answer from Postgres, writes are acknowledged and
 * committed, and their invalidations wait in the outbox. Returns the acknowledged version.
 */
async function writeThroughOutage(w: Api, id: string, maxMs: number): Promise<number> {
  const before = await read(w, id);
  expect([before.status, before.xCache, before.version]).toEqual([200, "BYPASS", 1]);
  expect(before.ms).toBeLessThan(maxMs);

  const replaced = await put(w, id, 2);
  expect([replaced.status, replaced.version]).toEqual([200, 2]);
  expect(replaced.ms).toBeLessThan(maxMs);
  const patched = await call(w, "PATCH", id, { stock: 3 });
  expect([patched.status, patched.version]).toEqual([200, 3]);

  const after = await read(w, id);
  expect([after.status, after.xCache, after.version]).toEqual([200, "BYPASS", 3]);
  // Acknowledged means committed, with its invalidation recorded next to it.
  const db = await persisted(id);
  expect(db.version).toBe(3);
  expect(db.stock).toBe(3);
  expect(db.outbox).toBeGreaterThanOrEqual(1);
  // Nothing reached Redis: the entry still holds the pre-outage version.
  expect(await cachedVersion(id)).toBe(1);
  return 3;
}

/** After the outage: the Cron drain applies the outbox, and a fresh isolate reads the new version. */
async function recover(id: string, version: number): Promise<void> {
  await resetFaults();
  const after = await isolate();
  await after.scheduled();
  expect((await persisted(id)).outbox).toBe(0);
  // The drain has no written state: the old entry became a tombstone at the write's revision,
  // unless the write's last background retry (5 s after it) was quicker and stored its state.
  const cached = await cachedVersion(id);
  expect(["tombstone", version]).toContain(cached);
  const miss = await read(after, id);
  expect([miss.status, miss.xCache, miss.version]).toEqual([
    200,
    cached === "tombstone" ? "MISS" : "HIT",
    version,
  ]);
  expect(await waitFor(async () => (await cachedVersion(id)) === version), "the refill").toBe(true);
  expect(await read(after, id)).toMatchObject({ xCache: "HIT", version });
}

describe("drill: Redis down", () => {
  it("serves BYPASS, acknowledges writes, and drains their invalidations once Redis is back", async () => {
    const w = await isolate();
    const id = await cachedProduct(w, "redis-down");
    await setRedisFaults({ mode: "refuse" });

    const version = await writeThroughOutage(w, id, 1000);

    await recover(id, version);
  });
});

describe("drill: Redis slow", () => {
  it("gives up on each cache call within REDIS_TIMEOUT_MS and answers from Postgres", async () => {
    const w = await isolate({ REDIS_TIMEOUT_MS: "150" });
    const id = await cachedProduct(w, "redis-slow");
    // Far slower than the timeout: an answer that waited for Redis would take 3 s.
    await setRedisFaults({ latencyMs: 3000 });

    // Timeout (150 ms) + the Postgres query + workerd on a loaded machine; nowhere near 3 s.
    const version = await writeThroughOutage(w, id, 1500);

    // Commands abandoned by the Worker still reach Redis late (a slow network, not a dead one);
    // let them land before judging the cache.
    await new Promise((r) => setTimeout(r, 3100));
    await recover(id, version);
  }, 20_000);
});

describe("drill: Redis answering errors", () => {
  it.each<[string, Partial<FaultSettings>]>([
    [
      "a Redis error reply",
      { mode: "error", errorMessage: "OOM command not allowed when used memory > 'maxmemory'" },
    ],
    ["HTTP 500", { mode: "http500" }],
  ])("treats %s as a miss and never returns it as data", async (_, fault) => {
    const w = await isolate();
    const id = await cachedProduct(w, "redis-errors");
    await setRedisFaults(fault);

    const version = await writeThroughOutage(w, id, 1000);
    const answer = await read(w, id);
    expect(answer.body).not.toMatch(/OOM|injected|ERR/);
    expect(JSON.parse(answer.body)).toMatchObject({ id, version, stock: 3 });

    await recover(id, version);
  });
});
