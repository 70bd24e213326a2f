/**
 * Drills: messages lost around a commit (reliability.md §4, faults 7 and 9).
 * - The invalidation after a commit fails — dropped (a Redis error) or applied with its answer
 *   lost: the write is still acknowledged, its outbox row survives, and the Worker's own
 *   background retry applies it (no Cron needed), after which reads see the new version.
 * - The write's own answer is lost after Postgres committed: the client sees an error, Postgres has
 *   the change and its outbox row, the Cron drain invalidates the old entry, and retrying the same
 *   PUT is safe.
 */
import { describe, expect, it } from "vitest";
import type { FaultSettings } from "../../emulators/shared/faults";
import { newId, waitFor } from "../api/helpers";
import { resetFaults, setDbFaults, setRedisFaults } from "../support/faults";
import { type Api, cachedVersion, persisted, put, read, useDrills } from "./drill-support";

const { isolates } = useDrills();

/** A product at version 1, cached. */
async function cachedProduct(w: Api, tag: string): Promise<string> {
  const id = newId(tag);
  expect((await put(w, id)).status).toBe(201);
  await read(w, id);
  expect(await read(w, id)).toMatchObject({ xCache: "HIT", version: 1 });
  return id;
}

describe("drill: the invalidation after a commit is lost", () => {
  it.each<[string, Partial<FaultSettings>, 1 | 2]>([
    // Not run at all: the old entry is still in Redis until the retry.
    ["dropped", { mode: "error", match: ["evalsha"] }, 1],
    // Run (the written state is stored), but the Worker never hears back: it cannot know, so it
    // retries (storing the same revision again is harmless).
    ["applied with its answer lost", { mode: "lost-response", match: ["evalsha"] }, 2],
  ])(
    "acknowledges the write and applies the invalidation by retrying (%s)",
    async (_, fault, left) => {
      const [w] = (await isolates()) as [Api];
      const id = await cachedProduct(w, "lost-del");
      await setRedisFaults(fault);

      const write = await put(w, id, 2);
      await resetFaults();

      expect([write.status, write.version]).toEqual([200, 2]);
      const db = await persisted(id);
      expect([db.version, db.stock]).toEqual([2, 2]);
      // What the lost call left in Redis, right after the acknowledgement.
      expect(await cachedVersion(id)).toBe(left);
      // The background retry (100 ms, 1 s, 5 s after the failure) applies it: the written state.
      const applied = await waitFor(async () => (await persisted(id)).outbox === 0, 8000);
      expect(applied, "the outbox row to be applied").toBe(true);
      expect(await cachedVersion(id)).toBe(2);
      expect(await read(w, id)).toMatchObject({ status: 200, xCache: "HIT", version: 2 });
    },
    15_000,
  );
});

describe("drill: a write whose answer is lost after the commit", () => {
  it("reports an error, keeps the committed change and its invalidation, and is safe to retry", async () => {
    const [w] = (await isolates()) as [Api];
    const id = await cachedProduct(w, "lost-answer");
    // The write batch (the only statement naming the outbox) commits; its answer never arrives.
    await setDbFaults({ mode: "lost-response", match: ["outbox"] });

    const lost = await put(w, id, 2);
    await resetFaults();

    expect(lost.status).toBe(503);
    // The Worker cannot know the write committed, so it must not claim that nothing changed.
    expect(lost.body).toContain("may or may not have been applied");
    // Postgres has the change, and the invalidation row committed with it.
    const db = await persisted(id);
    expect([db.version, db.stock]).toEqual([2, 2]);
    expect(db.outbox).toBe(1);
    // Not acknowledged, so the old entry may still be served until the outbox is applied.
    expect(await read(w, id)).toMatchObject({ xCache: "HIT", version: 1 });

    // The drain has no written state: it leaves a tombstone at the write's revision.
    await w.scheduled();
    expect((await persisted(id)).outbox).toBe(0);
    expect(await cachedVersion(id)).toBe("tombstone");
    expect(await read(w, id)).toMatchObject({ status: 200, xCache: "MISS", version: 2 });

    // The client retries its PUT: same content, one more version, one row, nothing stale.
    const retried = await put(w, id, 2);
    expect([retried.status, retried.version]).toEqual([200, 3]);
    // The retry's own row is marked applied in the background once its invalidation succeeded.
    const applied = await waitFor(async () => (await persisted(id)).outbox === 0);
    expect(applied, "the retry's outbox row to be applied").toBe(true);
    expect(await persisted(id)).toEqual({ version: 3, stock: 2, outbox: 0 });
    expect(await read(w, id)).toMatchObject({ status: 200, xCache: "HIT", version: 3 });
  });
});
